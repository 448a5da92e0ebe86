//! What the page says when its event store was closed from outside (the database deleted by
//! another tab or the browser's tools): what happened, that the tables were emptied because
//! nothing of them is stored any more, and a reload that opens the store again.

use crate::lab::Lab;
use leptos::prelude::*;

/// The banner, shown only once the store was closed.
#[component]
pub fn StoreClosed() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let reload = |_| {
        let _ = window().location().reload();
    };
    move || {
        lab.closed.get().map(|by| {
            view! {
                <div class="banner error" role="alert" data-testid="store-closed">
                    <p>
                        {by.sentence()}
                        " What was on screen is no longer stored, so the lab cleared it and takes no more commands."
                    </p>
                    <button on:click=reload>"Reload the lab"</button>
                </div>
            }
        })
    }
}
