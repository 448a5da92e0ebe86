//! The event store as the article's table (Part 2, "Developing Microservices with Event
//! Sourcing"): one row per event, the newest marked as it arrives, each id a link to the Events
//! inspector.

use super::command_side::{newest, SHOWN_ROWS};
use super::marks::{event_link, fresh, new_events};
use crate::lab::Lab;
use leptos::prelude::*;

/// The event store.
#[component]
pub fn EventTable() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let arrived = new_events(lab);
    let scroller = NodeRef::<leptos::html::Div>::new();
    // A new event is appended at the bottom: bring it into sight.
    Effect::new(move |_| {
        let head = lab
            .readout
            .with_untracked(|s| s.events.last().map_or(0, |e| e.event_id));
        if arrived.get().now.is_new(head) {
            request_animation_frame(move || {
                if let Some(el) = scroller.get_untracked() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });
    let rows = move || {
        let arrived = arrived.get().now;
        lab.readout.with(|s| {
            newest(&s.events)
                .iter()
                .map(|e| {
                    let meta = format!(
                        "version {} of its entity · schema v{} · by {} · correlation {}{}",
                        e.version,
                        e.schema_version,
                        e.metadata.actor,
                        e.metadata.correlation_id,
                        e.metadata
                            .causation_id
                            .map(|c| format!(" · caused by #{c}"))
                            .unwrap_or_default()
                    );
                    view! {
                        <tr title=meta data-fresh=fresh(arrived.is_new(e.event_id))>
                            <td class="num">{event_link(e.event_id)}</td>
                            <td>{e.entity_type.clone()}</td>
                            <td><code>{e.entity_id.clone()}</code></td>
                            <td>{e.event_type.clone()}</td>
                            <td><code class="json">{e.event_data.clone()}</code></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    // Only the newest rows are drawn, so a command costs the same with 100 events as with 100,000.
    let note = move || {
        lab.readout.with(|s| {
            (s.events.len() > SHOWN_ROWS).then(|| {
                format!(
                    "Showing the newest {SHOWN_ROWS} of {} events. The Events view has every event.",
                    crate::lab::snapshots::group(s.events.len() as u64)
                )
            })
        })
    };
    view! {
        <section class="panel events" aria-labelledby="events-title">
            <h2 id="events-title">"Event store"</h2>
            <div class="said">
                <p class="hint">"Every change is stored as an event; the events are the state."</p>
                <details class="more">
                    <summary>"More"</summary>
                    <p>
                        "An aggregate is rebuilt by folding its events. Appends check the stream's version (optimistic concurrency). Choose an event's id to see it in full, with its cause and effects, in the Events view."
                    </p>
                </details>
            </div>
            {move || note().map(|text| view! { <p class="hint" data-testid="event-table-note">{text}</p> })}
            <div class="scroll" tabindex="0" role="region" aria-label="Event store rows" node_ref=scroller>
                <table class="grid events-table" aria-labelledby="events-title" data-testid="event-table">
                    <thead>
                        <tr>
                            <th scope="col">"event_id"</th>
                            <th scope="col">"entity_type"</th>
                            <th scope="col">"entity_id"</th>
                            <th scope="col">"event_type"</th>
                            <th scope="col">"event_data"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Show when=move || lab.readout.with(|s| s.events.is_empty())>
                <p class="empty">"No events yet. Create a customer to store the first one."</p>
            </Show>
        </section>
    }
}
