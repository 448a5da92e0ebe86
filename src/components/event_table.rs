//! The event store as the article's table (Part 2, "Developing Microservices with Event
//! Sourcing"): one row per event, the newest marked as it arrives, each id a link to the Events
//! inspector.

use super::marks::{event_link, fresh, new_events, newest, SHOWN_ROWS};
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
    // Keyed by everything a row shows (a reset or an import brings other events under the same
    // ids): after a command only the new rows, and those that lose their mark, are drawn.
    let rows = move || {
        let arrived = arrived.get().now;
        lab.readout.with(|s| {
            newest(&s.events)
                .iter()
                .map(|e| EventRow {
                    id: e.event_id,
                    meta: format!(
                        "version {} of its entity · schema v{} · by {} · correlation {}{}",
                        e.version,
                        e.schema_version,
                        e.metadata.actor,
                        e.metadata.correlation_id,
                        e.metadata
                            .causation_id
                            .map(|c| format!(" · caused by #{c}"))
                            .unwrap_or_default()
                    ),
                    entity_type: e.entity_type.clone(),
                    entity_id: e.entity_id.clone(),
                    event_type: e.event_type.clone(),
                    data: e.event_data.clone(),
                    is_new: arrived.is_new(e.event_id),
                })
                .collect::<Vec<_>>()
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
                    <tbody>
                        <For each=rows key=|row| row.clone() let(row)>
                            <tr title=row.meta data-fresh=fresh(row.is_new)>
                                <td class="num">{event_link(row.id)}</td>
                                <td>{row.entity_type}</td>
                                <td><code>{row.entity_id}</code></td>
                                <td>{row.event_type}</td>
                                <td><code class="json">{row.data}</code></td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || lab.readout.with(|s| s.events.is_empty())>
                <p class="empty">"No events yet. Create a customer to store the first one."</p>
            </Show>
        </section>
    }
}

/// One row of the event store's table: everything it shows, so it doubles as the row's key.
#[derive(Clone, PartialEq, Eq, Hash)]
struct EventRow {
    id: u64,
    meta: String,
    entity_type: String,
    entity_id: String,
    event_type: String,
    data: String,
    is_new: bool,
}
