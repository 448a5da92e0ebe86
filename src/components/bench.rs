//! The benchmark page (`/bench`): runs the figures of [`crate::bench`] in this browser and shows
//! them as a table with their goals, and as JSON for `cargo xtask bench`. `?run=quick` or
//! `?run=full` starts a run at once (`&figures=b,k` runs only those); `?seed-lab=N` instead fills
//! an empty lab with N events.
//! Also the small "measured in this browser" panel other views show.

use crate::bench::{self, Figure, Results};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A query parameter of the page's address.
fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// `1.234` as a ratio, `—` when unknown.
fn ratio(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| {
        if r < 0.1 {
            format!("{r:.4}")
        } else {
            format!("{r:.2}")
        }
    })
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn verdict(f: &Figure) -> &'static str {
    match f.met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "needs cargo xtask bench",
    }
}

/// Publishes the results for scripts: `window.foldlabBench`.
fn publish(results: &Results) {
    if let (Some(window), Ok(value)) = (web_sys::window(), serde_wasm_bindgen_free(results)) {
        let _ = js_sys::Reflect::set(&window, &"foldlabBench".into(), &value);
    }
}

/// The results as a JS value, through JSON (no extra dependency).
fn serde_wasm_bindgen_free(results: &Results) -> Result<wasm_bindgen::JsValue, ()> {
    let text = serde_json::to_string(results).map_err(|_| ())?;
    js_sys::JSON::parse(&text).map_err(|_| ())
}

/// The benchmark page.
#[component]
pub fn BenchPage() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let results = RwSignal::new(bench::saved());
    let error = RwSignal::new(None::<String>);
    let seeded = RwSignal::new(None::<String>);

    let start = move |mode: &'static str| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        error.set(None);
        spawn_local(async move {
            let progress = move |s: String| status.set(s);
            // `figures=b,k`: only those (b includes b+).
            let only: Option<Vec<String>> =
                query("figures").map(|ids| ids.split(',').map(str::to_owned).collect());
            match bench::run(mode, only.as_deref(), &progress).await {
                Ok(found) => {
                    bench::save(&found);
                    publish(&found);
                    results.set(Some(found));
                    status.set(format!("Done ({mode} run)."));
                }
                Err(e) => {
                    error.set(Some(format!("The benchmark stopped: {e}")));
                    status.set(String::new());
                }
            }
            running.set(false);
        });
    };

    // Started from the address: a run, or seeding the lab.
    let auto = StoredValue::new(false);
    Effect::new(move |_| {
        if auto.get_value() {
            return;
        }
        auto.set_value(true);
        if let Some(events) = query("seed-lab").and_then(|n| n.parse::<u64>().ok()) {
            running.set(true);
            spawn_local(async move {
                let progress = move |s: String| status.set(s);
                match bench::seed_lab(events, &progress).await {
                    Ok(n) => {
                        seeded.set(Some(format!(
                            "The lab now holds {}.",
                            foldlab_lab::counted(n, "event", "events")
                        )));
                        status.set(String::new());
                    }
                    Err(e) => error.set(Some(e)),
                }
                running.set(false);
            });
        } else if let Some(mode) = query("run") {
            start(if mode == "full" { "full" } else { "quick" });
        }
    });

    let json = move || {
        results
            .with(|r| {
                r.as_ref()
                    .and_then(|r| serde_json::to_string_pretty(r).ok())
            })
            .unwrap_or_default()
    };
    view! {
        <section class="panel bench" aria-labelledby="bench-title">
            <h2 id="bench-title">"How fast is this?"</h2>
            <p class="hint">
                "Each figure compares the lab's event store with a baseline measured in this page, in the same run: the same work written directly against IndexedDB in plain JavaScript. Every side runs once to warm up, then several times; the table shows the median and the spread of those runs. The benchmark writes only to databases of its own (foldlab-bench-…), never to the lab's events."
            </p>
            <p class="hint">
                "The native side of the fold figure, the cold start and the download size are measured by "
                <code>"cargo xtask bench"</code>
                ", which runs this page in headless Chromium and prints one table."
            </p>
            <div class="bench-actions">
                <button type="button" on:click=move |_| start("quick") disabled=move || running.get()>
                    "Quick run (small sizes)"
                </button>
                <button type="button" on:click=move |_| start("full") disabled=move || running.get()>
                    "Full run (1,000,000 events; minutes)"
                </button>
            </div>
            <p role="status" aria-live="polite" data-testid="bench-status">{move || status.get()}</p>
            {move || seeded.get().map(|s| view! { <p data-testid="bench-seeded">{s}</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || results.get().map(|r| view! { <ResultsTable results=r /> })}
            <details>
                <summary>"The results as JSON"</summary>
                <pre data-testid="bench-json">{json}</pre>
            </details>
        </section>
    }
}

#[component]
fn ResultsTable(results: Results) -> impl IntoView {
    let rows = results
        .figures
        .into_iter()
        .map(|f| {
            let spread = |s: &bench::Stats| {
                format!("{} (runs {}–{})", ms(s.median_ms), ms(s.min_ms), ms(s.max_ms))
            };
            let ours = format!("{}: {}", f.ours_label, spread(&f.ours));
            let base = match &f.baseline {
                Some(b) => format!("{}: {}", f.baseline_label, spread(b)),
                None => f.baseline_label.clone(),
            };
            let verdict = verdict(&f);
            view! {
                <tr data-testid=format!("bench-row-{}", f.id) data-verdict=verdict>
                    <th scope="row">{format!("{}. {}", f.id, f.name)}<br /><small>{f.note.clone()}</small></th>
                    <td>{ours}</td>
                    <td>{base}</td>
                    <td>{ratio(f.ratio)}<br /><small>{f.ratio_rule.clone()}</small></td>
                    <td>{format!("{} {}", f.goal_op, f.goal)}</td>
                    <td class=format!("verdict {verdict}")>{verdict}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p>{format!("Measured on {} ({} run), {}", results.date, results.mode, results.user_agent)}</p>
        <div class="table-scroll">
            <table class="grid bench-table" data-testid="bench-table">
                <thead>
                    <tr>
                        <th scope="col">"Figure"</th>
                        <th scope="col">"Ours"</th>
                        <th scope="col">"Baseline"</th>
                        <th scope="col">"Ratio"</th>
                        <th scope="col">"Goal"</th>
                        <th scope="col">"Met?"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
