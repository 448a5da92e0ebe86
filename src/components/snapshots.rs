//! Snapshot folds (Part 2 of the article, "Using Snapshots to Improve Performance"): one aggregate
//! rebuilt two ways, from its latest snapshot plus the events after it and by a full replay from
//! its first event, each timed in the browser. The result comes first: events folded and
//! milliseconds as two bars each, and a strip of the history with the snapshot marked, which moves
//! when the interval changes. Long histories are generated in a second store.

use crate::lab::snapshots::{
    events, group, Folds, Placement, Target, HISTORY_STORE, INTERVALS, LENGTHS,
};
use crate::lab::Lab;
use leptos::prelude::*;

/// The Snapshots page.
#[component]
pub fn SnapshotsPage() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let folds = expect_context::<Folds>();
    // Fold the saved pick once the stores are open (again after a reload).
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        // Read every signal first: a short-circuit would leave some untracked.
        let idle = !lab.busy.get();
        let history_open = folds.with_of(|st| &st.history_backend, |b| b.is_some());
        let ready = idle && history_open && lab.engine().is_some();
        if ready && !started.get_value() {
            started.set_value(true);
            folds.run();
        }
    });
    view! {
        <section class="panel folds" aria-labelledby="folds-title">
            <h2 id="folds-title">"Snapshot folds"</h2>
            <p class="hint">
                "A snapshot is the fold's initial value: a load starts from it and folds only the events after it (Part 2, Using Snapshots to Improve Performance)."
            </p>
            <details class="more">
                <summary>"Why both folds must agree"</summary>
                <p>
                    "An aggregate's state is the fold of its events. A snapshot is the state as of one event, saved so that a load starts the fold there and reads only the events after it. It is an optimisation of loading, not a second truth: the events remain the record, and both folds below must reach the same state."
                </p>
            </details>
            <Controls />
            <FoldResult />
            <p class="fold-note" role="status" aria-live="polite" data-testid="fold-note">
                {move || folds.state.with(|st| st.run_note.clone())}
            </p>
            {move || folds.state.with(|st| st.run_error.clone()).map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="fold-sides">
                <SideView title="From the latest snapshot" key="snap" snap=true />
                <SideView title="Full replay from the first event" key="full" snap=false />
            </div>
            <Generator />
        </section>
    }
}

#[component]
fn Controls() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let folds = expect_context::<Folds>();
    let options = move || {
        let (customers, orders) = lab.readout.with(|s| {
            let customers: Vec<(String, String)> = s
                .model
                .customer_order
                .iter()
                .map(|id| {
                    (
                        Target::key(false, "Customer", id.as_str()),
                        format!("{} ({id})", s.customer_name(id)),
                    )
                })
                .collect();
            let orders: Vec<(String, String)> = s
                .model
                .order_order
                .iter()
                .map(|id| {
                    (
                        Target::key(false, "Order", id.as_str()),
                        format!("Order {id}"),
                    )
                })
                .collect();
            (customers, orders)
        });
        let histories: Vec<(String, String)> = folds.with_of(
            |st| &st.histories,
            |h| {
                h.iter()
                    .map(|h| {
                        (
                            Target::key(true, "Customer", &h.id),
                            format!("{} ({}, {} events)", h.name, h.id, group(h.events)),
                        )
                    })
                    .collect()
            },
        );
        let selected = folds.with_of(|st| &st.settings, |s| s.target.clone());
        let group_of = move |label: &'static str, items: Vec<(String, String)>| {
            (!items.is_empty()).then(|| {
                let selected = selected.clone();
                view! {
                    <optgroup label=label>
                        {items
                            .into_iter()
                            .map(|(key, text)| {
                                let is = key == selected;
                                view! { <option value=key selected=is>{text}</option> }
                            })
                            .collect_view()}
                    </optgroup>
                }
            })
        };
        view! {
            <option value="" selected=folds.with_of(|st| &st.settings, |s| s.target.is_empty())>"Choose an aggregate…"</option>
            {group_of("Lab customers", customers)}
            {group_of("Lab orders", orders)}
            {group_of("Long histories", histories)}
        }
    };
    view! {
        <div class="fold-controls" role="group" aria-label="What to fold">
            <label>
                "Aggregate "
                <select
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        folds.update(|s| s.target = value);
                        folds.run();
                    }
                    prop:value=move || folds.with_of(|st| &st.settings, |s| s.target.clone())
                >
                    {options}
                </select>
            </label>
            <label>
                "Snapshot interval "
                <select
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse() {
                            folds.set_interval(n);
                        }
                    }
                    prop:value=move || folds.with_of(|st| &st.settings, |s| s.interval.to_string())
                >
                    {INTERVALS
                        .iter()
                        .map(|n| {
                            let text = if *n == 0 { "off".to_string() } else { format!("every {} events", group(*n)) };
                            view! { <option value=n.to_string() selected=move || folds.with_of(|st| &st.settings, |s| s.interval == *n)>{text}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <button
                on:click=move |_| folds.run()
                disabled=move || folds.state.with(|st| st.running) || folds.with_of(|st| &st.settings, |s| Target::parse(&s.target).is_none())
            >
                "Fold again"
            </button>
        </div>
        <details class="more">
            <summary>"What the interval does"</summary>
            <p>
                "The interval is the engines' snapshot policy: after a command, a snapshot is written whenever the stream's version crosses a multiple of it. When you change it here, the snapshot of the chosen aggregate is taken at once at the latest multiple, and both folds run again. Every snapshot is checked before a load trusts it; an older one stays valid, because it is the fold of events that are still there."
            </p>
        </details>
    }
}

/// The result first: events folded and milliseconds, snapshot plus tail against a full replay, as
/// two bars each; and the history as a strip with the snapshot marked.
#[component]
fn FoldResult() -> impl IntoView {
    let folds = expect_context::<Folds>();
    let body = move || {
        let (snap, full, placement, running) = folds.state.with(|st| {
            (
                (st.snap.folded, st.snap.ms),
                (st.full.folded, st.full.ms),
                st.placement,
                st.running,
            )
        });
        let placement = placement?;
        let counts = bars(
            "Events folded",
            snap.0.map(|n| n as f64),
            full.0.map(|n| n as f64),
            |v| group(v as u64),
        );
        let times = bars("Milliseconds", snap.1, full.1, |v| format!("{v:.1} ms"));
        let sentence = match (snap, full) {
            ((Some(sn), Some(sm)), (Some(fn_), Some(fm))) => format!(
                "From the snapshot: {} in {sm:.1} ms. Full replay: {} in {fm:.1} ms.",
                events(sn),
                events(fn_)
            ),
            ((None, _), (Some(fn_), Some(fm))) if !running => format!(
                "No snapshot to start from, so a load is the full replay: {} in {fm:.1} ms.",
                events(fn_)
            ),
            _ => "Folding…".to_string(),
        };
        Some(view! {
            <p class="result-sentence" data-testid="result-sentence" aria-live="polite">{sentence}</p>
            <div class="result-bars">{counts}{times}</div>
            {history_strip(placement)}
        })
    };
    view! {
        <section class="fold-result" aria-labelledby="result-title" data-testid="fold-result">
            <h3 id="result-title">"The result"</h3>
            {body}
            <Show when=move || folds.state.with(|st| st.placement.is_none())>
                <p class="empty">"Choose an aggregate to fold it both ways."</p>
            </Show>
        </section>
    }
}

/// Two bars, snapshot plus tail against a full replay, scaled to the larger one.
fn bars(
    title: &'static str,
    snap: Option<f64>,
    full: Option<f64>,
    show: fn(f64) -> String,
) -> impl IntoView {
    let max = snap
        .unwrap_or(0.0)
        .max(full.unwrap_or(0.0))
        .max(f64::MIN_POSITIVE);
    let row = move |label: &'static str, class: &'static str, value: Option<f64>| {
        let width = value.map_or(0.0, |v| (v / max * 100.0).clamp(0.0, 100.0));
        let text = value.map_or_else(|| "—".to_string(), show);
        view! {
            <div class="bar-row">
                <span class="bar-label">{label}</span>
                <span class="bar-track">
                    <span class=format!("bar {class}{}", if value.is_some_and(|v| v > 0.0) { " nonzero" } else { "" }) style:width=format!("{width:.1}%")></span>
                </span>
                <span class="bar-value num">{text}</span>
            </div>
        }
    };
    let name = format!(
        "{title}: from the snapshot {}, full replay {}",
        snap.map_or_else(|| "—".to_string(), show),
        full.map_or_else(|| "—".to_string(), show)
    );
    view! {
        <figure class="bar-group" role="img" aria-label=name>
            <figcaption>{title}</figcaption>
            {row("Snapshot + tail", "snap", snap)}
            {row("Full replay", "full", full)}
        </figure>
    }
}

/// The history as a strip: the events before the snapshot (folded into it), the snapshot's mark,
/// and the tail a load folds after it.
fn history_strip(p: Placement) -> impl IntoView {
    let version = p.version.max(1) as f64;
    let at = p.snapshot_at.unwrap_or(0) as f64;
    let left = (at / version * 100.0).clamp(0.0, 100.0);
    let name = match p.snapshot_at {
        Some(v) => format!(
            "The history: {}. The snapshot sits at version {}; a load folds the {} after it.",
            events(p.version),
            group(v),
            events(p.tail())
        ),
        None => format!(
            "The history: {} and no snapshot; a load folds every one.",
            events(p.version)
        ),
    };
    view! {
        <figure class="hist" data-testid="history-strip">
            <figcaption data-testid="history-strip-text">{name.clone()}</figcaption>
            <div class="hist-bar" role="img" aria-label=name>
                <span class="hist-before" style:width=format!("{left:.2}%")></span>
                <span class="hist-tail" style:left=format!("{left:.2}%") style:width=format!("{:.2}%", 100.0 - left)></span>
                {p.snapshot_at.map(|_| view! { <span class="hist-snap" style:left=format!("{left:.2}%")></span> })}
            </div>
            <div class="hist-labels" aria-hidden="true">
                <span>"v1"</span>
                {p.snapshot_at.map(|v| view! { <span class="hist-snap-label">{format!("snapshot v{}", group(v))}</span> })}
                <span>{format!("v{}", group(p.version))}</span>
            </div>
        </figure>
    }
}

#[component]
fn Generator() -> impl IntoView {
    let folds = expect_context::<Folds>();
    let place = move || match folds.state.with(|st| st.history_backend.clone()) {
        None => "opening…".to_string(),
        Some((backend, note)) => {
            let base = format!("in {backend} (“{HISTORY_STORE}”)");
            match note {
                Some(note) => format!("{base}. {note}"),
                None => base,
            }
        }
    };
    view! {
        <section class="generator" aria-labelledby="gen-title">
            <h3 id="gen-title">"A long history"</h3>
            <p class="hint">
                "Generate a customer with thousands of events to see the snapshot pay off."
            </p>
            <details class="more">
                <summary>"Where it is kept, and what its events are"</summary>
                <p data-testid="history-place">
                    "Generated histories are kept in a second event store with its own engine, "
                    {place}
                    ", not in the lab's log, so the lab's other views stay quick. Each event is a credit-limit change the Customer's own decide accepted. Such a change replaces one number and reserves nothing, so the state, and the snapshot with it, stays a few hundred bytes however long the history grows: only the number of events to fold grows."
                </p>
            </details>
            <div class="fold-controls">
                <label>
                    "Events to generate "
                    <select
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() {
                                folds.update(|s| s.length = n);
                            }
                        }
                        prop:value=move || folds.with_of(|st| &st.settings, |s| s.length.to_string())
                    >
                        {LENGTHS
                            .iter()
                            .map(|n| view! { <option value=n.to_string() selected=move || folds.with_of(|st| &st.settings, |s| s.length == *n)>{group(*n)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button
                    on:click=move |_| folds.generate()
                    disabled=move || folds.state.with(|st| st.generating).is_some() || folds.state.with(|st| st.history_backend.clone()).is_none()
                >
                    "Generate long history"
                </button>
                <button
                    class="quiet"
                    on:click=move |_| folds.delete_histories()
                    disabled=move || folds.state.with(|st| st.generating).is_some() || folds.with_of(|st| &st.histories, |h| h.is_empty())
                >
                    "Delete long histories"
                </button>
            </div>
            {move || {
                folds.state.with(|st| st.generating).map(|(done, total)| {
                    view! {
                        <div class="gen-progress">
                            <progress max=total.to_string() value=done.to_string() aria-label="Events stored"></progress>
                            <span aria-live="polite">{format!("{} of {} events stored", group(done), group(total))}</span>
                            <button on:click=move |_| folds.cancel_generation()>"Cancel"</button>
                        </div>
                    }
                })
            }}
            {move || {
                folds.state.with(|st| st.generate_note.clone()).map(|(ok, text)| {
                    if ok {
                        view! { <p role="status" data-testid="generate-note">{text}</p> }.into_any()
                    } else {
                        view! { <p class="error" role="alert" data-testid="generate-note">{text}</p> }.into_any()
                    }
                })
            }}
        </section>
    }
}

#[component]
fn SideView(title: &'static str, key: &'static str, snap: bool) -> impl IntoView {
    let folds = expect_context::<Folds>();
    let id = format!("{key}-title");
    let labelledby = id.clone();
    // One closure renders the whole side: coarse, but small in wasm.
    let body = move || {
        let s = folds.state.with(|state| {
            if snap {
                state.snap.clone()
            } else {
                state.full.clone()
            }
        });
        let progress = s.progress.filter(|_| s.running).map(|(done, of)| {
            view! {
                <p class="fold-progress">
                    <progress max=of.max(1).to_string() value=done.to_string() aria-label=format!("{title}: events folded")></progress>
                    " " {format!("{} of {}", group(done), group(of))}
                </p>
            }
        });
        let state = (!s.state.is_empty())
            .then(|| view! { <pre class="json fold-state" role="group" aria-label=format!("{title}: state")>{s.state}</pre> });
        view! {
            <dl>
                <dt>"Started from"</dt>
                <dd data-testid=format!("{key}-from")>{s.from}</dd>
                <dt>"Events folded"</dt>
                <dd class="num" data-testid=format!("{key}-folded")>{s.folded.map(group).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Time in this browser"</dt>
                <dd class="num" data-testid=format!("{key}-ms")>
                    {s.ms.map(|ms| format!("{ms:.1} ms")).unwrap_or_else(|| "—".into())}
                </dd>
            </dl>
            {progress}
            {s.current.map(|c| view! { <p class="fold-current"><code>{c}</code></p> })}
            {s.note.map(|n| view! { <p class="hint">{n}</p> })}
            {state}
        }
    };
    view! {
        <article class="fold-side" aria-labelledby=labelledby data-testid=format!("{key}-side")>
            <h3 id=id>{title}</h3>
            {body}
        </article>
    }
}
