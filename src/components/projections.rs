//! Projections (Part 2 of the article, "Benefits and Drawback of CQRS"): every view the lab keeps,
//! what it holds now beside its checkpoint, how far and how long it has been behind the write
//! side, a chart of the lag with axes, the controls that make it grow and drain, adding a
//! projection later, and a stale read shown on purpose.

use crate::lab::as_of::ViewsThen;
use crate::lab::projections::{Projections, DELAYS, LATE_PROJECTION, WINDOW_MS};
use crate::lab::snapshots::group;
use crate::lab::Lab;
use foldlab_domain::{
    CustomerViewProjection, CustomerViews, LowCreditLimitProjection, LowCreditLimits,
    NewCustomersProjection, NewCustomersWithHighValueOrders, OrderHistories,
    OrderHistoryProjection,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many rows of a view are shown before "and N more".
const ROWS: usize = 6;

/// The Projections page. The runner moves the projections app-wide; the page only tells it that
/// it is open (it samples more often and moves the customer view too).
#[component]
pub fn ProjectionsPage() -> impl IntoView {
    let projections = expect_context::<Projections>();
    projections.set_page_open(true);
    on_cleanup(move || projections.set_page_open(false));
    view! {
        <section class="panel lagview" aria-labelledby="lag-title">
            <h2 id="lag-title">"Projection lag: the views and how far behind they are"</h2>
            <p class="hint">
                "Until a view has applied the newest event it lags the write side, and a read returns an older state (Part 2, Benefits and Drawback of CQRS)."
            </p>
            <details class="more">
                <summary>"How the views move here"</summary>
                <p>
                    "A projection subscribes to the events: it applies the events after its checkpoint, in order, and saves the checkpoint with the view, so the query side is eventually consistent. In Foldlab the views keep moving wherever you are in the app, at once or one event every chosen pace. The customer view is one of the lab's subscribers: away from this page it moves when the lab delivers (Step, Run to end), so the lab shows it lagging."
                </p>
                <p>
                    "“Stale for” is how long the view has missed an event: from when the first event it has not applied was stored until now."
                </p>
            </details>
            <Held />
            <p class="head" data-testid="head" aria-live="polite">
                {move || format!("Write side: the event store's newest event is #{}.", projections.chart.with(|c| c.head))}
            </p>
            <Cards />
            <Chart />
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

/// Says plainly when the runner leaves the views alone.
#[component]
fn Held() -> impl IntoView {
    let projections = expect_context::<Projections>();
    move || {
        projections.state.with(|s| s.held_by.clone()).map(|title| {
            view! {
                <p class="held" role="status" data-testid="held">
                    {format!("Paused while the lesson “{title}” moves the views itself; they run again once it has run to its end, or the lab is reset.")}
                </p>
            }
        })
    }
}

#[component]
fn Cards() -> impl IntoView {
    let projections = expect_context::<Projections>();
    let names = move || {
        projections.state.with(|s| {
            s.statuses
                .iter()
                .filter(|st| st.name != LATE_PROJECTION || s.settings.late_added)
                .map(|st| st.name.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="proj-cards" data-testid="projections">
            <For each=names key=|name| name.clone() let:name>
                <Card name />
            </For>
        </div>
    }
}

/// One projection: its position and lag, its controls, and what its view holds now.
#[component]
fn Card(name: String) -> impl IntoView {
    let projections = expect_context::<Projections>();
    let name = StoredValue::new(name);
    let status = Memo::new(move |_| {
        projections.state.with(|s| {
            s.statuses
                .iter()
                .find(|st| st.name == name.get_value())
                .cloned()
        })
    });
    let label = move || status.with(|s| s.as_ref().map(|s| s.label.clone()).unwrap_or_default());
    let lag = move || status.with(|s| s.as_ref().map(|s| s.lag).unwrap_or_default());
    let paused = move || {
        projections
            .state
            .with(|s| s.settings.paused.contains(&name.get_value()))
    };
    let stale = move || {
        let now = projections.chart.with(|c| c.wall_ms) as i64;
        let ms = lag().stale_ms(now);
        if ms == 0 {
            "—".to_string()
        } else {
            seconds(ms)
        }
    };
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
    let saved_delay = move || {
        projections.state.with(|s| {
            s.settings
                .delays
                .get(&name.get_value())
                .copied()
                .unwrap_or(0)
        })
    };
    let moved_by = move || {
        if projections.state.with(|s| s.held_by.is_some()) {
            "Held while the lesson moves it."
        } else if name.get_value() == CustomerViewProjection::NAME {
            "Moved by this page and by the lab's deliveries."
        } else {
            "Moves by itself wherever you are."
        }
    };
    let title_id = format!("proj-{}", name.get_value());
    let labelledby = title_id.clone();
    view! {
        <article class="proj-card" aria-labelledby=labelledby data-name=name.get_value()>
            <h3 id=title_id>{label}</h3>
            <table class="lag-table">
                <thead>
                    <tr>
                        <th scope="col">"Checkpoint"</th>
                        <th scope="col">"Behind"</th>
                        <th scope="col">"Stale for"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr aria-label=label>
                        <td class="num" data-testid="checkpoint">{move || format!("#{}", lag().position)}</td>
                        <td class="num" data-testid="behind">{move || group(lag().events_behind)}</td>
                        <td class="num" data-testid="behind-ms">{stale}</td>
                    </tr>
                </tbody>
            </table>
            <p class="proj-state">
                {move || if paused() {
                    view! { <strong class="paused">"Paused: "</strong> "it applies nothing until you resume it or move it by hand." }.into_any()
                } else {
                    view! { {moved_by} }.into_any()
                }}
            </p>
            <div class="controls">
                <button
                    aria-label=move || format!("{} {}", if paused() { "Resume" } else { "Pause" }, label())
                    on:click=move |_| projections.set_paused(&name.get_value(), !paused())
                >
                    {move || if paused() { "Resume" } else { "Pause" }}
                </button>
                <button aria-label=move || format!("Step {}", label()) on:click=move |_| act("step")>"Step"</button>
                <button aria-label=move || format!("Catch up {}", label()) on:click=move |_| act("catch")>"Catch up"</button>
                <button aria-label=move || format!("Rebuild {}", label()) on:click=move |_| act("rebuild")>"Rebuild"</button>
                <label class="pace">
                    "Pace "
                    <select
                        aria-label=move || format!("Delay for {}", label())
                        prop:value=move || saved_delay().to_string()
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
                                let d = *d;
                                view! { <option value=d.to_string() selected=move || saved_delay() == d>{text}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>
            // A named group: a plain div may not carry a name (axe's aria-prohibited-attr, seen
            // while the view's contents had not come yet), and it is focusable so a keyboard can
            // scroll it.
            <div class="proj-view" role="group" tabindex="0" aria-label=move || format!("What the {} holds", label())>
                {move || projections.state.with(|s| s.contents.as_ref().map(|c| contents(&name.get_value(), c)))}
            </div>
        </article>
    }
}

/// `1.2 s`, `45 s`, `3 min 5 s`.
fn seconds(ms: i64) -> String {
    let s = ms as f64 / 1000.0;
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{} min {} s", (s / 60.0) as i64, (s as i64) % 60)
    }
}

/// What the view named `name` holds, as a small table.
fn contents(name: &str, c: &ViewsThen) -> AnyView {
    match name {
        CustomerViewProjection::NAME => customer_rows(&c.customer_view.1).into_any(),
        OrderHistoryProjection::NAME => history_rows(&c.order_history.1).into_any(),
        LowCreditLimitProjection::NAME => low_credit_rows(&c.low_credit.1).into_any(),
        NewCustomersProjection::NAME => new_customer_rows(&c.new_customers.1).into_any(),
        _ => ().into_any(),
    }
}

/// A table of at most [`ROWS`] rows and a line saying how many more the view holds.
fn table(
    caption: &'static str,
    head: &'static [&'static str],
    rows: Vec<Vec<String>>,
    empty: String,
) -> impl IntoView {
    let more = rows.len().saturating_sub(ROWS);
    let shown = rows
        .into_iter()
        .take(ROWS)
        .map(|cells| {
            view! {
                <tr>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
            }
        })
        .collect_view();
    let has_rows = empty.is_empty();
    view! {
        {has_rows.then(|| view! {
            <table class="grid view-rows">
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{head.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr></thead>
                <tbody>{shown}</tbody>
            </table>
        })}
        {(!has_rows).then(|| view! { <p class="empty">{empty}</p> })}
        {(more > 0).then(|| view! { <p class="more-rows">{format!("and {more} more")}</p> })}
    }
}

fn customer_rows(view: &CustomerViews) -> impl IntoView {
    let rows: Vec<Vec<String>> = view
        .customers
        .values()
        .map(|c| {
            vec![
                format!("{}{}", c.name, if c.deleted { " (deleted)" } else { "" }),
                c.available_credit.to_string(),
                c.recent_orders.len().to_string(),
            ]
        })
        .collect();
    let empty = if rows.is_empty() {
        "No customer yet.".to_string()
    } else {
        String::new()
    };
    table(
        "Customer documents",
        &["Customer", "Available", "Recent orders"],
        rows,
        empty,
    )
}

fn history_rows(view: &OrderHistories) -> impl IntoView {
    let rows: Vec<Vec<String>> = view
        .customers
        .values()
        .flat_map(|orders| orders.iter())
        .map(|o| {
            let path: Vec<String> = o.changes.iter().map(|c| c.status.to_string()).collect();
            vec![
                o.order_id.to_string(),
                o.total.to_string(),
                path.join(" → "),
            ]
        })
        .collect();
    let empty = if rows.is_empty() {
        "No order yet.".to_string()
    } else {
        String::new()
    };
    table(
        "Orders and their status changes",
        &["Order", "Total", "Status changes"],
        rows,
        empty,
    )
}

fn low_credit_rows(view: &LowCreditLimits) -> impl IntoView {
    let rows: Vec<Vec<String>> = view
        .customers()
        .into_iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.credit_limit.to_string(),
                c.available_credit.to_string(),
            ]
        })
        .collect();
    let empty = if rows.is_empty() {
        format!("No customer has a limit below {}.", view.threshold)
    } else {
        String::new()
    };
    table(
        "Customers with a low credit limit",
        &["Customer", "Limit", "Available"],
        rows,
        empty,
    )
}

fn new_customer_rows(view: &NewCustomersWithHighValueOrders) -> impl IntoView {
    let rows: Vec<Vec<String>> = view
        .high_value_orders()
        .into_iter()
        .map(|r| {
            vec![
                r.customer.name.clone(),
                r.order_id.to_string(),
                r.total.to_string(),
            ]
        })
        .collect();
    let empty = if rows.is_empty() {
        format!("No new customer has an order over {}.", view.threshold)
    } else {
        String::new()
    };
    table(
        "Orders over the threshold by new customers",
        &["Customer", "Order", "Total"],
        rows,
        empty,
    )
}

#[component]
fn Chart() -> impl IntoView {
    let projections = expect_context::<Projections>();
    // The plot area inside the drawing, leaving room for the axes' numbers and names.
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 56.0;
    const BOTTOM: f64 = 48.0;
    const TOP: f64 = 12.0;
    const RIGHT: f64 = 16.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let span = WINDOW_MS;
    let lines = move || {
        projections.chart.with(|chart| {
            let samples = &chart.samples;
            let Some(last) = samples.back() else {
                return (Vec::new(), 4);
            };
            let now = last.at;
            let peak = samples
                .iter()
                .flat_map(|s| s.behind.iter().map(|(_, b)| *b))
                .max()
                .unwrap_or(0);
            // A round top for the scale: 4, 8, 12, … so the middle tick is a whole number.
            let max = peak.max(4).div_ceil(4) * 4;
            let names: Vec<String> = last.behind.iter().map(|(n, _)| n.clone()).collect();
            let lines = names
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let points: Vec<String> = samples
                        .iter()
                        .filter_map(|s| {
                            s.behind.iter().find(|(n, _)| *n == name).map(|(_, b)| {
                                let x = LEFT + plot_w - (now - s.at) / span * plot_w;
                                let y = TOP + plot_h - (*b as f64) / (max as f64) * plot_h;
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
            let parts: Vec<String> = state
                .statuses
                .iter()
                .filter(|s| s.name != LATE_PROJECTION || state.settings.late_added)
                .map(|s| format!("{} {} behind", s.label, s.lag.events_behind))
                .collect();
            format!("Events behind over the last minute: {}.", parts.join(", "))
        })
    };
    let y_ticks = move || {
        let max = lines().1;
        [0, max / 2, max]
            .into_iter()
            .map(|v| {
                let y = TOP + plot_h - (v as f64) / (max as f64) * plot_h;
                view! {
                    <line x1={LEFT - 4.0} y1=y x2={LEFT + plot_w} y2=y class="grid-line" />
                    <text x={LEFT - 8.0} y={y + 5.0} text-anchor="end" class="tick">{v.to_string()}</text>
                }
            })
            .collect_view()
    };
    let x_ticks = [60, 45, 30, 15, 0]
        .into_iter()
        .map(|s| {
            let x = LEFT + plot_w - (f64::from(s) * 1000.0) / span * plot_w;
            let text = if s == 0 {
                "now".to_string()
            } else {
                format!("−{s} s")
            };
            view! {
                <line x1=x y1={TOP + plot_h} x2=x y2={TOP + plot_h + 5.0} class="axis" />
                <text x=x y={TOP + plot_h + 22.0} text-anchor="middle" class="tick">{text}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="lag-chart">
            <div class="chart-box">
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary data-testid="lag-chart">
                    {y_ticks}
                    <line x1=LEFT y1=TOP x2=LEFT y2={TOP + plot_h} class="axis" />
                    <line x1=LEFT y1={TOP + plot_h} x2={LEFT + plot_w} y2={TOP + plot_h} class="axis" />
                    {x_ticks}
                    <text x={LEFT + plot_w / 2.0} y={H - 4.0} text-anchor="middle" class="axis-name">"time (seconds ago)"</text>
                    <text
                        x="14"
                        y={TOP + plot_h / 2.0}
                        text-anchor="middle"
                        class="axis-name"
                        transform=format!("rotate(-90 14 {})", TOP + plot_h / 2.0)
                    >
                        "events behind"
                    </text>
                    {move || {
                        lines()
                            .0
                            .into_iter()
                            .map(|(i, name, points)| {
                                view! { <polyline class=format!("series series-{i}") points=points data-name=name /> }
                            })
                            .collect_view()
                    }}
                </svg>
            </div>
            <figcaption>
                "Events behind, over the last minute. "
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
fn AddProjection() -> impl IntoView {
    let projections = expect_context::<Projections>();
    view! {
        <Show when=move || !projections.is_added(LATE_PROJECTION)>
            <section class="add-projection" aria-labelledby="add-title">
                <h3 id="add-title">"Add a new projection"</h3>
                <p class="hint">
                    "New customers with high value orders joins two services' data, which no one service can do, and an event store does not answer it simply or efficiently (Part 2, Implementing Queries Using CQRS)."
                </p>
                <details class="more">
                    <summary>"What adding it shows"</summary>
                    <p>
                        "It lists each order over $1,000.00 placed by a new customer. Added now, it starts at checkpoint 0 and catches up from the first event, one event every 200 ms, so you can watch it: a view is exactly the fold of the events up to its checkpoint, so a projection added later still sees the whole history."
                    </p>
                </details>
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
                "Places 20 orders for the lab's first customer at once: the head moves ahead, then each view drains at its own pace."
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
                "Places a $25.00 order and reads the customer view as soon as the command returns, before the view has applied it."
            </p>
            <details class="more">
                <summary>"How the read is held"</summary>
                <p>
                    "While the answer is shown, this page leaves the customer view alone so you can look at it; “Wait for the view” then reads your own write: it drives the projector up to the order's event and reads again."
                </p>
            </details>
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
