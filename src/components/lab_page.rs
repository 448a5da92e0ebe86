//! The first screen: the command side, the choreography, the query side and the event store, side
//! by side, so one action can be followed through all four.

use super::choreography::Choreography;
use super::command_side::CommandSide;
use super::event_table::EventTable;
use super::query_side::QuerySide;
use leptos::prelude::*;

/// The lab.
#[component]
pub fn LabPage() -> impl IntoView {
    view! {
        <div class="lab">
            <CommandSide />
            <Choreography />
            <QuerySide />
            <EventTable />
        </div>
    }
}
