//! The lab's stage: one screen for a room, with the step controls and the lanes, the event store,
//! the customer view and the command side together, and the forms folded into a "Send a command"
//! bar. A lesson puts its text in a strip at the top. The layout follows the stage's own width in
//! rem (style/stage.css), so Large text rearranges the panels instead of squeezing them.
//!
//! The first download holds only the "Send a command" bar: the other panels are a file of their
//! own (see `crate::lazy`), fetched once the lab takes commands.

use super::choreography::Choreography;
use super::chunk::Lazy;
use super::command_side::{CommandSide, SendCommand};
use super::event_table::EventTable;
use super::query_side::QuerySide;
use crate::lab::Lab;
use crate::lazy;
use leptos::prelude::*;

/// The stage; `strip`, when given, is a lesson's text, shown at the top. It comes built (a view,
/// not a function that builds it), so the stage's code never names the lessons' code, which then
/// stays out of the first download.
#[component]
pub fn Stage(#[prop(optional)] strip: Option<AnyView>) -> impl IntoView {
    let lab = expect_context::<Lab>();
    view! {
        <div class="stage" data-testid="stage">
            <div class="stage-grid">
                {strip.map(|strip| view! { <div class="stage-strip">{strip}</div> })}
                <div class="stage-send">
                    <SendCommand />
                </div>
                {move || lab.ready.get().then(|| view! { <Lazy load=|| Box::pin(lazy::stage()) failed="The rest of the lab could not be opened" /> })}
            </div>
        </div>
    }
}

/// The stage's panels after the "Send a command" bar: the lanes, the customer view, the event
/// store and the command side.
#[component]
pub fn StagePanels() -> impl IntoView {
    view! {
        <Choreography />
        <QuerySide />
        <EventTable />
        <CommandSide forms=false />
    }
}

/// The lab.
#[component]
pub fn LabPage() -> impl IntoView {
    view! { <Stage /> }
}
