//! The event inspector: the article's event table (Part 2, "Developing Microservices with Event
//! Sourcing") over the whole log, filtered by entity and event type, each row expandable to its
//! JSON and metadata. Selecting an event marks its cause, its effects and the events that share its
//! correlation id.
//!
//! Only the rows in sight are rendered: rows have a fixed height (the one expanded row adds the
//! height its details measure once drawn), so the first visible row follows from the scroll
//! position alone and a long log stays responsive.

use crate::lab::faults::pretty;
use crate::lab::Lab;
use foldlab_domain::EventEnvelope;
use foldlab_lab::counted;
use leptos::prelude::*;
use std::collections::BTreeSet;
use wasm_bindgen::JsCast;

/// Height of one row, in pixels (kept in step with `.vrow` in style/inspect.css).
const ROW: f64 = 40.0;
/// Height the expanded row's details add until they are drawn and measured, in pixels (at most
/// `.vdetails`'s max-height in style/inspect.css).
const DETAILS: f64 = 280.0;
/// Height of the scrolling window, in pixels (`.vlist` in style/inspect.css).
const VIEWPORT: f64 = 480.0;
/// Rows rendered above and below the window, so a fast scroll shows no gap.
const OVERSCAN: usize = 6;

/// What selecting an event marks.
#[derive(Clone, Debug, Default, PartialEq)]
struct Marks {
    selected: u64,
    cause: Option<u64>,
    effects: BTreeSet<u64>,
    correlated: BTreeSet<u64>,
    correlation_id: String,
}

/// The selected event from the address bar's `?event=N`.
fn selected_from_url() -> Option<u64> {
    crate::address::query("event")?.parse().ok()
}

/// Puts the selection into the address bar (replacing the entry), so a reload or a link keeps it.
fn write_selection(selected: Option<u64>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let (Ok(path), Ok(search)) = (location.pathname(), location.search()) else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return;
    };
    match selected {
        Some(id) => params.set("event", &id.to_string()),
        None => params.delete("event"),
    }
    let query = String::from(params.to_string());
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Where the list scrolls to show the row at `at` (and its cause's row, above it, when both fit).
fn scroll_target(at: usize, cause_at: Option<usize>) -> f64 {
    let fits = |c: usize| c < at && ((at - c + 2) as f64) * ROW <= VIEWPORT;
    let first = match cause_at {
        Some(c) if fits(c) => c,
        _ => at,
    };
    (first as f64 * ROW - ROW / 2.0).max(0.0)
}

fn find(events: &[EventEnvelope], id: u64) -> Option<&EventEnvelope> {
    events
        .binary_search_by_key(&id, |e| e.event_id)
        .ok()
        .map(|i| &events[i])
}

fn recorded_at(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_iso_string())
}

/// The page.
#[component]
pub fn EventsPage() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let entity_type = RwSignal::new(String::new());
    let entity_id = RwSignal::new(String::new());
    let event_type = RwSignal::new(String::new());
    // A link within the app (an event id on the Lab), a reload or a pasted link: each is in the
    // address bar by now.
    let selected = RwSignal::new(selected_from_url());
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = NodeRef::<leptos::html::Div>::new();
    // The opened row's details as drawn: the rows under it move down by exactly that, no more.
    let details_height = RwSignal::new(DETAILS);

    // The event types present in the log, for the filter.
    let types = Memo::new(move |_| {
        lab.readout.with(|s| {
            s.events
                .iter()
                .map(|e| e.event_type.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        })
    });
    // Indexes into the log of the rows that pass the filters.
    let rows = Memo::new(move |_| {
        let (t, id, et) = (entity_type.get(), entity_id.get(), event_type.get());
        // Ids are ASCII (`c-1f2e`): matched without case in ASCII, with no Unicode case tables.
        let id = id.trim().to_ascii_lowercase();
        lab.readout.with(|s| {
            s.events
                .iter()
                .enumerate()
                .filter(|(_, e)| t.is_empty() || e.entity_type == t)
                .filter(|(_, e)| id.is_empty() || e.entity_id.to_ascii_lowercase().contains(&id))
                .filter(|(_, e)| et.is_empty() || e.event_type == et)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        })
    });
    let marks = Memo::new(move |_| {
        let id = selected.get()?;
        lab.readout.with(|s| {
            let event = find(&s.events, id)?;
            let correlation_id = event.metadata.correlation_id.clone();
            Some(Marks {
                selected: id,
                cause: event
                    .metadata
                    .causation_id
                    .filter(|c| find(&s.events, *c).is_some()),
                effects: s
                    .events
                    .iter()
                    .filter(|e| e.metadata.causation_id == Some(id))
                    .map(|e| e.event_id)
                    .collect(),
                correlated: s
                    .events
                    .iter()
                    .filter(|e| e.event_id != id && e.metadata.correlation_id == correlation_id)
                    .map(|e| e.event_id)
                    .collect(),
                correlation_id,
            })
        })
    });
    // Where the selected row is among the filtered rows, if it passes the filters.
    let expanded_at = Memo::new(move |_| {
        let id = selected.get()?;
        lab.readout.with(|s| {
            rows.with(|r| {
                r.iter()
                    .position(|&i| s.events.get(i).is_some_and(|e| e.event_id == id))
            })
        })
    });
    let top_of = move |row: usize| {
        let extra = match expanded_at.get() {
            Some(e) if row > e => details_height.get(),
            _ => 0.0,
        };
        row as f64 * ROW + extra
    };
    let total_height = move || {
        let extra = if expanded_at.get().is_some() {
            details_height.get()
        } else {
            0.0
        };
        rows.with(|r| r.len()) as f64 * ROW + extra
    };
    let window = move || {
        let top = scroll_top.get();
        let mut first = (top / ROW) as usize;
        if let Some(e) = expanded_at.get() {
            if first > e {
                first = (((top - details_height.get()) / ROW).max(0.0) as usize).max(e);
            }
        }
        let count = (VIEWPORT / ROW) as usize + 1;
        let n = rows.with(|r| r.len());
        let start = first.saturating_sub(OVERSCAN).min(n);
        let end = (first + count + OVERSCAN).min(n);
        start..end
    };

    // Measure the opened row's details once drawn.
    Effect::new(move |_| {
        expanded_at.track();
        marks.track();
        request_animation_frame(move || {
            let drawn = viewport
                .get_untracked()
                .and_then(|list| list.query_selector(".vdetails").ok().flatten());
            if let Some(details) = drawn {
                // The details' own height and their bottom border.
                let height = f64::from(details.client_height()) + 1.0;
                if height > 1.0 && (height - details_height.get_untracked()).abs() > 0.5 {
                    details_height.set(height);
                }
            }
        });
    });

    // A selection from the address bar: scroll it into view once the log is loaded, with its
    // cause above it in sight when both fit.
    let scrolled_once = StoredValue::new(false);
    Effect::new(move |_| {
        if scrolled_once.get_value() {
            return;
        }
        let (Some(at), Some(el)) = (expanded_at.get(), viewport.get()) else {
            return;
        };
        scrolled_once.set_value(true);
        let cause_at = marks
            .with_untracked(|m| m.as_ref().and_then(|m| m.cause))
            .and_then(|c| {
                lab.readout.with_untracked(|s| {
                    rows.with_untracked(|r| {
                        r.iter()
                            .position(|&i| s.events.get(i).is_some_and(|e| e.event_id == c))
                    })
                })
            });
        let top = scroll_target(at, cause_at);
        el.set_scroll_top(top as i32);
        scroll_top.set(top);
    });

    let select = move |id: u64| {
        let next = if selected.get_untracked() == Some(id) {
            None
        } else {
            Some(id)
        };
        selected.set(next);
        write_selection(next);
    };

    let summary = move || {
        let Some(m) = marks.get() else {
            return "No event selected: choose an event's id.".to_string();
        };
        lab.readout.with(|s| {
            let name = |id: u64| {
                find(&s.events, id).map_or(format!("#{id}"), |e| format!("#{id} {}", e.event_type))
            };
            let cause = match m.cause {
                Some(c) => format!("Cause: {}.", name(c)),
                None => "No cause: a user's command stored it.".to_string(),
            };
            let effects = if m.effects.is_empty() {
                "No effects yet.".to_string()
            } else {
                let list: Vec<String> = m.effects.iter().map(|&e| name(e)).collect();
                format!("Effects: {}.", list.join(", "))
            };
            let correlated = match m.correlated.len() {
                0 => "No other event shares its correlation id.".to_string(),
                1 => "1 other event shares its correlation id.".to_string(),
                n => format!("{n} other events share its correlation id."),
            };
            format!(
                "Selected {}. {cause} {effects} {correlated}",
                name(m.selected)
            )
        })
    };

    let on_scroll = move |ev: leptos::ev::Event| {
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            scroll_top.set(el.scroll_top() as f64);
        }
    };

    let visible_rows = move || {
        let range = window();
        let m = marks.get();
        let expanded = expanded_at.get();
        lab.readout.with(|s| {
            rows.with(|r| {
                range
                    .map(|row| {
                        let e = &s.events[r[row]];
                        row_view(
                            e,
                            row,
                            top_of(row),
                            m.as_ref(),
                            expanded == Some(row),
                            select,
                        )
                    })
                    .collect_view()
            })
        })
    };

    view! {
        <section class="panel inspector" aria-labelledby="inspector-title">
            <h2 id="inspector-title">"Event inspector"</h2>
            <p class="hint">"Choose an event's id to see it in full, with its cause and its effects marked."</p>
            <details class="more">
                <summary>"More"</summary>
                <p>
                    "The event store as the article draws it: entity_type and entity_id identify the aggregate, event_id identifies the event, event_type is its type and event_data its attributes as JSON. The cause is the event named as causation_id; the effects name this event as theirs; correlated events share its correlation id."
                </p>
            </details>
            <form class="filters" role="search" aria-label="Filter events" on:submit=|ev| ev.prevent_default()>
                <label>
                    "Entity type"
                    <select on:change=move |ev| entity_type.set(event_target_value(&ev)) prop:value=move || entity_type.get()>
                        <option value="">"Any"</option>
                        <option value="Order">"Order"</option>
                        <option value="Customer">"Customer"</option>
                    </select>
                </label>
                <label>
                    "Entity id"
                    <input type="search" placeholder="e.g. c-1f2e" prop:value=move || entity_id.get()
                        on:input=move |ev| entity_id.set(event_target_value(&ev)) />
                </label>
                <label>
                    "Event type"
                    <select on:change=move |ev| event_type.set(event_target_value(&ev)) prop:value=move || event_type.get()>
                        <option value="">"Any"</option>
                        {move || types.get().into_iter().map(|t| {
                            let value = t.clone();
                            view! { <option value=value>{t}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </form>
            <p class="shown" aria-live="polite" data-testid="shown">
                {move || {
                    let total = lab.readout.with(|s| s.events.len());
                    let shown = rows.with(|r| r.len());
                    if shown == total {
                        counted(total as u64, "event", "events")
                    } else {
                        format!("{shown} of {} match the filters", counted(total as u64, "event", "events"))
                    }
                }}
            </p>
            <p class="selection" aria-live="polite" data-testid="selection">{summary}</p>
            <div role="table" aria-label="Event store" aria-rowcount=move || rows.with(|r| r.len()) + 1 class="vtable" data-testid="inspector-table">
                <div role="rowgroup" class="vhead">
                    <div role="row" class="vrow head" aria-rowindex="1">
                        <span role="columnheader">"event_id"</span>
                        <span role="columnheader">"entity_type"</span>
                        <span role="columnheader">"entity_id"</span>
                        <span role="columnheader">"event_type"</span>
                        <span role="columnheader">"marked"</span>
                        <span role="columnheader">"event_data"</span>
                    </div>
                </div>
                <div role="rowgroup" class="vlist" node_ref=viewport on:scroll=on_scroll tabindex="0" data-testid="inspector-scroll">
                    <div class="vspace" style:height=move || format!("{}px", total_height())>
                        {visible_rows}
                    </div>
                </div>
            </div>
            <Show when=move || lab.readout.with(|s| s.events.is_empty())>
                <p class="empty">"No events yet. Create a customer on the Lab page to store the first one."</p>
            </Show>
        </section>
    }
}

fn row_view(
    e: &EventEnvelope,
    row: usize,
    top: f64,
    marks: Option<&Marks>,
    expanded: bool,
    select: impl Fn(u64) + Copy + 'static,
) -> impl IntoView {
    let id = e.event_id;
    let mut classes = vec!["vrow"];
    let mut tags = Vec::new();
    if let Some(m) = marks {
        if m.selected == id {
            classes.push("selected");
            tags.push("selected");
        }
        if m.cause == Some(id) {
            classes.push("cause");
            tags.push("cause");
        }
        if m.effects.contains(&id) {
            classes.push("effect");
            tags.push("effect");
        }
        if m.correlated.contains(&id) {
            classes.push("correlated");
            tags.push("correlated");
        }
    }
    if expanded {
        classes.push("expanded");
    }
    let details_id = format!("event-details-{id}");
    let details = expanded.then(|| {
        let causation = e
            .metadata
            .causation_id
            .map_or("none (a user's command)".to_string(), |c| format!("#{c}"));
        view! {
            <div role="row" class="vdetails" style:top=format!("{}px", top + ROW)>
            <div role="cell" id=details_id.clone() aria-label=format!("Event #{id} in full")>
                <pre class="json-pretty" tabindex="0">{pretty(&e.event_data)}</pre>
                <dl class="meta">
                    <dt>"version"</dt><dd>{e.version}</dd>
                    <dt>"schema version"</dt><dd>{e.schema_version}</dd>
                    <dt>"recorded at"</dt><dd>{recorded_at(e.recorded_at)}</dd>
                    <dt>"actor"</dt><dd>{e.metadata.actor.clone()}</dd>
                    <dt>"correlation id"</dt><dd><code>{e.metadata.correlation_id.clone()}</code></dd>
                    <dt>"causation id"</dt><dd>{causation}</dd>
                </dl>
            </div>
            </div>
        }
    });
    view! {
        <div role="row" class=classes.join(" ") aria-rowindex=row + 2 style:top=format!("{top}px") data-event-id=id>
            <span role="cell">
                <button class="idbtn" aria-expanded=if expanded { "true" } else { "false" } aria-controls=expanded.then_some(details_id)
                    aria-label=format!("Event #{id}, {}: show its JSON and metadata", e.event_type)
                    on:click=move |_| select(id)>
                    {format!("#{id}")}
                </button>
            </span>
            <span role="cell">{e.entity_type.clone()}</span>
            <span role="cell"><code>{e.entity_id.clone()}</code></span>
            <span role="cell">{e.event_type.clone()}</span>
            <span role="cell" class="tags">
                {tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}
            </span>
            <span role="cell" class="data"><code class="json">{e.event_data.clone()}</code></span>
        </div>
        {details}
    }
}
