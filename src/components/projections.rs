//! Projection lag (Part 2 of the article, "Benefits and Drawback of CQRS"): the write side's head
//! and each projection's checkpoint, the lag in events and milliseconds drawn live, the controls
//! that make it grow and drain, adding a projection later, and a stale read shown on purpose.

use crate::lab::projections::{Projections, DELAYS, LATE_PROJECTION, SAMPLE_MS, WINDOW_MS};
use crate::lab::snapshots::group;
use crate::lab::Lab;
use foldlab_engine::ProjectionStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// The Projections page. While it is open, a timer samples the lag and runs the projectors.
#[component]
pub fn ProjectionsPage() -> impl IntoView {
    let projections = expect_context::<Projections>();
    if let Ok(handle) =
        set_interval_with_handle(move || projections.tick(), Duration::from_millis(50))
    {
        on_cleanup(move || handle.clear());
    }
    view! {
        <section class="panel lagview" aria-labelledby="lag-title">
            <h2 id="lag-title">"Projection lag"</h2>
            <p class="hint">
                "A projection is a view kept by subscribing to events: it applies the events after its checkpoint, in order, and saves the checkpoint with the view. Until it has applied the newest event it lags the write side, so the query side is eventually consistent: a client that changes an aggregate and reads a view at once may see the previous state (Part 2, Benefits and Drawback of CQRS). While this page is open, each running projection below is moved by the page: at once, or one event every chosen delay."
            </p>
            <Chart />
            <Table />
            <AddProjection />
            <Load />
            <StaleReadPanel />
            {move || {
                projections.state.with(|s| s.note.clone()).map(|(ok, text)| {
                    if ok {
                        view! { <p role="status" data-testid="lag-note">{text}</p> }.into_any()
                    } else {
                        view! { <p class="error" role="alert" data-testid="lag-note">{text}</p> }.into_any()
                    }
                })
            }}
        </section>
    }
}

#[component]
fn Chart() -> impl IntoView {
    let projections = expect_context::<Projections>();
    const W: f64 = 600.0;
    const H: f64 = 140.0;
    let lines = move || {
        projections.chart.with(|chart| {
            let samples = &chart.samples;
            let (Some(first), Some(last)) = (samples.front(), samples.back()) else {
                return (Vec::new(), 0);
            };
            let now = last.at;
            // The time axis spans what has been sampled, from 10 s up to the whole window.
            let span = (now - first.at).clamp(10_000.0, WINDOW_MS);
            let max = samples
                .iter()
                .flat_map(|s| s.behind.iter().map(|(_, b)| *b))
                .max()
                .unwrap_or(0)
                .max(5);
            let names: Vec<String> = last.behind.iter().map(|(n, _)| n.clone()).collect();
            let lines = names
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let points: Vec<String> = samples
                        .iter()
                        .filter_map(|s| {
                            s.behind.iter().find(|(n, _)| *n == name).map(|(_, b)| {
                                let x = W - (now - s.at) / span * W;
                                let y = H - 4.0 - (*b as f64) / (max as f64) * (H - 16.0);
                                format!("{x:.1},{y:.1}")
                            })
                        })
                        .collect();
                    (i, name, points.join(" "))
                })
                .collect();
            (lines, max)
        })
    };
    let summary = move || {
        projections.state.with(|state| {
            let statuses = &state.statuses;
            let parts: Vec<String> = statuses
                .iter()
                .filter(|s| projections.is_added(&s.name))
                .map(|s| format!("{} {} behind", s.label, s.lag.events_behind))
                .collect();
            format!("Lag in events over the last minute: {}.", parts.join(", "))
        })
    };
    view! {
        <figure class="lag-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary data-testid="lag-chart">
                <line x1="0" y1=H x2=W y2=H class="axis" />
                {move || {
                    let (lines, _) = lines();
                    lines
                        .into_iter()
                        .map(|(i, name, points)| {
                            view! { <polyline class=format!("series series-{i}") points=points data-name=name /> }
                        })
                        .collect_view()
                }}
            </svg>
            <figcaption>
                {move || format!("Events behind over the last minute (newest at the right), sampled every {SAMPLE_MS} ms; the scale tops at {}. ", lines().1)}
                {move || {
                    lines()
                        .0
                        .into_iter()
                        .map(|(i, name, _)| view! { <span class=format!("key series-{i}")>{name}</span> " " })
                        .collect_view()
                }}
            </figcaption>
        </figure>
    }
}

#[component]
fn Table() -> impl IntoView {
    let projections = expect_context::<Projections>();
    let rows = move || {
        projections
            .state
            .with(|s| s.statuses.clone())
            .into_iter()
            .filter(|s| projections.is_added(&s.name))
            .map(|s| view! { <Row status=s /> })
            .collect_view()
    };
    view! {
        <p class="head" data-testid="head" aria-live="polite">
            {move || format!("Write side: the event store's head is #{}.", projections.chart.with(|c| c.head))}
        </p>
        <table class="lag-table" data-testid="projections">
            <thead>
                <tr>
                    <th scope="col">"Projection"</th>
                    <th scope="col">"Checkpoint"</th>
                    <th scope="col">"Behind (events)"</th>
                    <th scope="col">"Behind (ms)"</th>
                    <th scope="col">"Runs"</th>
                    <th scope="col">"Controls"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Row(status: ProjectionStatus) -> impl IntoView {
    let projections = expect_context::<Projections>();
    let name = StoredValue::new(status.name.clone());
    let label = status.label.clone();
    let paused = status.paused;
    let act = move |what: &'static str| {
        let name = name.get_value();
        spawn_local(async move {
            match what {
                "step" => projections.step(&name).await,
                "catch" => projections.catch_up(&name).await,
                _ => projections.rebuild(&name).await,
            }
        });
    };
    let delay_label = format!("Delay for {label}");
    view! {
        <tr data-name=status.name.clone() aria-label=label.clone()>
            <th scope="row">{label.clone()}</th>
            <td class="num" data-testid="checkpoint">{format!("#{}", status.lag.position)}</td>
            <td class="num" data-testid="behind">{group(status.lag.events_behind)}</td>
            <td class="num" data-testid="behind-ms">{format!("{} ms", group(status.lag.ms_behind.max(0) as u64))}</td>
            <td>
                <select
                    aria-label=delay_label
                    on:change=move |ev| {
                        if let Ok(ms) = event_target_value(&ev).parse() {
                            projections.set_delay(&name.get_value(), ms);
                        }
                    }
                >
                    {DELAYS
                        .iter()
                        .map(|d| {
                            let text = if *d == 0 { "at once".to_string() } else { format!("1 event / {d} ms") };
                            view! { <option value=d.to_string() selected=*d == status.delay_ms>{text}</option> }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                <div class="controls">
                <button
                    aria-label=format!("{} {label}", if paused { "Resume" } else { "Pause" })
                    on:click=move |_| projections.set_paused(&name.get_value(), !paused)
                >
                    {if paused { "Resume" } else { "Pause" }}
                </button>
                <button aria-label=format!("Step {label}") on:click=move |_| act("step")>"Step"</button>
                <button aria-label=format!("Catch up {label}") on:click=move |_| act("catch")>"Catch up"</button>
                <button aria-label=format!("Rebuild {label}") on:click=move |_| act("rebuild")>"Rebuild"</button>
                </div>
            </td>
        </tr>
    }
}

#[component]
fn AddProjection() -> impl IntoView {
    let projections = expect_context::<Projections>();
    view! {
        <Show when=move || !projections.is_added(LATE_PROJECTION)>
            <section class="add-projection" aria-labelledby="add-title">
                <h3 id="add-title">"Add a new projection"</h3>
                <p class="hint">
                    "New customers with high value orders is not running yet. It is a query from Part 2 of the article (Implementing Queries Using CQRS): it joins two services' data, which no one service can do, and an event store does not answer it simply or efficiently. It lists each order over $1,000.00 placed by a new customer. Added now, it starts at checkpoint 0 and catches up from the first event, one event every 200 ms, so you can watch it: a view is exactly the fold of the events up to its checkpoint, so a projection added later still sees the whole history."
                </p>
                <button on:click=move |_| spawn_local(async move { projections.add_late().await })>
                    "Add “new customers with high value orders”"
                </button>
            </section>
        </Show>
    }
}

#[component]
fn Load() -> impl IntoView {
    let projections = expect_context::<Projections>();
    let lab = expect_context::<Lab>();
    view! {
        <section class="lag-load" aria-labelledby="load-title">
            <h3 id="load-title">"Make load"</h3>
            <p class="hint">
                "Places 20 orders for the lab's first customer as fast as the store takes them: the head moves ahead and every projection's lag grows, then drains at its own pace."
            </p>
            <button
                on:click=move |_| spawn_local(async move { projections.burst(20).await })
                disabled=move || lab.busy.get()
            >
                "Place 20 orders"
            </button>
        </section>
    }
}

#[component]
fn StaleReadPanel() -> impl IntoView {
    let projections = expect_context::<Projections>();
    let lab = expect_context::<Lab>();
    view! {
        <section class="stale" aria-labelledby="stale-title">
            <h3 id="stale-title">"A stale read, on purpose"</h3>
            <p class="hint">
                "Places a $25.00 order and reads the customer view as soon as the command returns, before the view's projector has run again. While the answer is shown, this page leaves the customer view alone so you can look at it; “Wait for the view” then reads your own write: it drives the projector up to the order's event and reads again."
            </p>
            <button
                on:click=move |_| spawn_local(async move { projections.stale_read().await })
                disabled=move || lab.busy.get()
            >
                "Place an order and read the view at once"
            </button>
            {move || {
                projections.state.with(|s| s.stale.clone()).map(|read| {
                    let verdict = if read.found {
                        format!("The view already held order {}.", read.order)
                    } else {
                        format!(
                            "Stale: the command stored OrderCreated #{} for order {}, but the view, at checkpoint #{}, does not have it yet.",
                            read.event_id, read.order, read.position
                        )
                    };
                    let returned = if read.returned.is_empty() {
                        "no recent orders".to_string()
                    } else {
                        read.returned.join(", ")
                    };
                    view! {
                        <div class="stale-answer" data-testid="stale-read" aria-live="polite">
                            <p><strong>{verdict}</strong></p>
                            <p>{format!("The view returned for {}: {returned}.", read.customer)}</p>
                            {match read.waited.clone() {
                                None => view! {
                                    <button on:click=move |_| spawn_local(async move { projections.wait_for_view().await })>
                                        "Wait for the view"
                                    </button>
                                }.into_any(),
                                Some(Ok(text)) => view! { <p role="status" data-testid="waited">{text}</p> }.into_any(),
                                Some(Err(text)) => view! {
                                    <p class="error" role="alert" data-testid="waited">{text}</p>
                                    <button on:click=move |_| spawn_local(async move { projections.wait_for_view().await })>
                                        "Wait for the view"
                                    </button>
                                }.into_any(),
                            }}
                            <button class="quiet" on:click=move |_| projections.dismiss_stale()>"Dismiss"</button>
                        </div>
                    }
                })
            }}
        </section>
    }
}
