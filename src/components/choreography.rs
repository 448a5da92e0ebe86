//! The choreography panel: deliveries waiting, Step and Run to end, each subscriber's checkpoint,
//! and one sentence per delivery.

use crate::lab::Lab;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Step through the deliveries.
#[component]
pub fn Choreography() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let step = move |_| spawn_local(async move { lab.deliver(false).await });
    let run = move |_| spawn_local(async move { lab.deliver(true).await });
    let waiting = move || {
        let n = lab.readout.with(|s| s.pending);
        match n {
            0 => "No deliveries waiting: every subscriber is up to date.".to_string(),
            1 => "1 delivery waiting.".to_string(),
            n => format!("{n} deliveries waiting."),
        }
    };
    let checkpoints = move || {
        lab.readout.with(|s| {
            let head = s.head();
            s.positions
                .iter()
                .map(|(subscriber, position)| {
                    let label = subscriber.label();
                    let at = if *position == 0 {
                        format!("has handled nothing yet (the store is at #{head})")
                    } else {
                        format!("handled up to #{position} of #{head}")
                    };
                    view! { <li><strong>{label}</strong> " " {at}</li> }
                })
                .collect_view()
        })
    };
    view! {
        <section class="panel choreography" aria-labelledby="choreo-title">
            <h2 id="choreo-title">"Choreography"</h2>
            <p class="hint">
                "No service calls another to change it. The event store hands each stored event to the services that subscribe to it, one delivery at a time; each reacts by changing only its own aggregate. These steps form a saga: local transactions linked by events. The saga is named in the companion article “CQRS + Event Sourcing — microservice patterns” (Eventual Consistency & Distributed Transactions). The one call across services is a lookup: placing an order first asks the Customer service's API whether the customer exists."
            </p>
            <p class="waiting" aria-live="polite" data-testid="waiting">{waiting}</p>
            <div class="controls">
                <button on:click=step disabled=move || lab.busy.get()>"Step"</button>
                <button on:click=run disabled=move || lab.busy.get()>"Run to end"</button>
            </div>
            {move || lab.step_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <h3>"Checkpoints"</h3>
            <ul class="checkpoints" data-testid="checkpoints">{checkpoints}</ul>
            <h3>"Deliveries"</h3>
            <ol class="steps" data-testid="steps" aria-live="polite" tabindex="0" aria-label="Deliveries, newest first">
                {move || {
                    lab.journal
                        .get()
                        .into_iter()
                        .rev()
                        .take(60)
                        .map(|line| {
                            let stored = if line.stored.is_empty() {
                                String::new()
                            } else {
                                let ids: Vec<String> = line.stored.iter().map(|id| format!("#{id}")).collect();
                                format!(" → stored {}", ids.join(", "))
                            };
                            view! {
                                <li value=line.number>
                                    <p class="step-head">
                                        <span class="who">{line.label.clone()}</span>
                                        {if line.subscriber == crate::lab::USER {
                                            stored.replacen(" → stored", " stored", 1)
                                        } else {
                                            format!(" received #{}{stored}", line.event_id)
                                        }}
                                        <span class="outcome">{line.outcome.label()}</span>
                                    </p>
                                    <p class="sentence">{line.sentence}</p>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <Show when=move || lab.journal.with(Vec::is_empty)>
                <p class="empty">"Deliveries made on this page are told here, newest first."</p>
            </Show>
        </section>
    }
}
