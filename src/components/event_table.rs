//! The event store as the article's table (Part 2, "Developing Microservices with Event
//! Sourcing"): one row per event.

use crate::lab::Lab;
use leptos::prelude::*;

/// The event store.
#[component]
pub fn EventTable() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let rows = move || {
        lab.readout.with(|s| {
            s.events
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
                        <tr title=meta>
                            <td class="num">{e.event_id}</td>
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
    view! {
        <section class="panel events" aria-labelledby="events-title">
            <h2 id="events-title">"Event store"</h2>
            <p class="hint">
                "Every change is stored as an event, and the events are the state: an aggregate is rebuilt by folding its events. Appends check the stream's version (optimistic concurrency)."
            </p>
            <div class="scroll" tabindex="0" role="region" aria-label="Event store rows">
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
