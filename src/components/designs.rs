//! The Designs view: the same story under seven designs, from one monolith database to event
//! sourcing, on real storage in this browser (localStorage), with a crash where the learner picks.
//! The learner predicts first; then the view shows the design's tables, broker and log as they
//! are, what the checker found broken, the design's lesson, and the simulator's table.

use crate::address::{keep_query, query};
use crate::lab::snapshots::pause;
use foldlab_designs::browser::LocalStorage;
use foldlab_designs::check::Kind;
use foldlab_designs::design::{databases, Design, Options, Story};
use foldlab_designs::lesson::lesson;
use foldlab_designs::sim::{simulate_design, Counts, COMMAND, SEEDS};
use foldlab_designs::storage::Table;
use foldlab_designs::{run, Crash, CrashPoint, Database};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the learner expects: a kind of broken promise, or nothing broken.
type Prediction = Option<Kind>;

/// One run, as the view shows it.
#[derive(Clone)]
struct RunView {
    design: Design,
    crash: Option<CrashPoint>,
    crashed_at: Option<String>,
    findings: Vec<(Kind, String)>,
    narration: Vec<String>,
    stored: Vec<(String, Result<Database, String>)>,
    prediction: Prediction,
    /// The same story and crash under every design (the switches only where they were chosen).
    everywhere: Vec<(Design, Vec<String>)>,
}

/// Plays the lab's story under `design` in localStorage, then reads the design's databases back.
fn run_in_browser(
    design: Design,
    opts: Options,
    prediction: Prediction,
) -> Result<RunView, String> {
    let mut storage = LocalStorage::open().map_err(|e| e.to_string())?;
    let outcome = run(&mut storage, design, &Story::lab(), &opts).map_err(|e| e.to_string())?;
    let stored = databases(&storage, design)
        .into_iter()
        .map(|(name, db)| (name, db.map_err(|e| e.to_string())))
        .collect();
    let mut everywhere = Vec::new();
    for other in Design::ALL {
        let sentences = if other == design {
            outcome
                .findings
                .iter()
                .map(|f| f.sentence.clone())
                .collect()
        } else {
            let plain = Options {
                crash: opts.crash,
                ..Options::default()
            };
            let o = run(&mut storage, other, &Story::lab(), &plain).map_err(|e| e.to_string())?;
            o.findings.into_iter().map(|f| f.sentence).collect()
        };
        everywhere.push((other, sentences));
    }
    Ok(RunView {
        design,
        crash: opts.crash.map(|c| c.point),
        crashed_at: outcome.seen.crash.clone(),
        findings: outcome
            .findings
            .into_iter()
            .map(|f| (f.kind, f.sentence))
            .collect(),
        narration: outcome.seen.narration,
        stored,
        prediction,
        everywhere,
    })
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn prediction_label(p: Prediction) -> String {
    p.map_or_else(|| "Nothing breaks".to_string(), |k| capitalized(k.label()))
}

/// The page.
#[component]
pub fn DesignsPage() -> impl IntoView {
    // The address keeps the choices (`?design=dual-write&crash=between&switch=on`), so a reload
    // or a link a teacher shares opens the same setup.
    let asked = query;
    let design = RwSignal::new(
        asked("design")
            .and_then(|d| Design::from_slug(&d))
            .unwrap_or(Design::DualWrite),
    );
    let crash = RwSignal::new(match asked("crash").as_deref() {
        Some("none") => None,
        Some(slug) => CrashPoint::ALL
            .into_iter()
            .find(|p| p.slug() == slug)
            .or(Some(CrashPoint::BetweenWriteAndPublish)),
        None => Some(CrashPoint::BetweenWriteAndPublish),
    });
    let switch = RwSignal::new(asked("switch").as_deref() == Some("on"));
    Effect::new(move |_| {
        let on = switch.get() && matches!(design.get(), Design::DualWrite | Design::EventsTable);
        let q = format!(
            "?design={}&crash={}{}",
            design.get().slug(),
            crash.get().map_or("none", CrashPoint::slug),
            if on { "&switch=on" } else { "" }
        );
        keep_query("/designs", &q);
    });
    let prediction = RwSignal::new(None::<Prediction>);
    let result = RwSignal::new(None::<Result<RunView, String>>);
    let runs = RwSignal::new(0u32);
    // Reset lab deletes the designs' records: a result read from them is gone with them.
    let lab = expect_context::<crate::lab::Lab>();
    Effect::new(move |seen: Option<u32>| {
        let resets = lab.resets.get();
        if seen.is_some_and(|before| before != resets) {
            prediction.set(None);
            result.set(None);
        }
        resets
    });
    // A new choice asks for a new prediction before it reveals anything.
    let changed = move || {
        prediction.set(None);
        result.set(None);
    };
    let go = move |_| {
        let Some(p) = prediction.get_untracked() else {
            return;
        };
        let d = design.get_untracked();
        let opts = Options {
            crash: crash.get_untracked().map(|point| Crash { point, nth: 0 }),
            publish_before_write: d == Design::DualWrite && switch.get_untracked(),
            forget_event: d == Design::EventsTable && switch.get_untracked(),
        };
        result.set(Some(run_in_browser(d, opts, p)));
        runs.update(|n| *n += 1);
    };
    view! {
        <section class="panel designs" aria-labelledby="designs-title">
            <h2 id="designs-title">"Seven designs, one story"</h2>
            <p class="hint">
                "Each design below is real code over storage in this browser. The same story runs under each, with a crash where you pick. Predict first, then run."
            </p>
            <p class="story">
                <strong>"The story: "</strong>
                "customer " <code>"c-1"</code> " may owe $100. Order " <code>"o-1"</code> " for $60 is placed. Then orders "
                <code>"o-2"</code> " for $30 and " <code>"o-3"</code> " for $50 are placed at once. Done right, "
                <code>"o-1"</code> " and " <code>"o-2"</code> " are approved and " <code>"o-3"</code>
                " is refused: $60 and $30 fit in $100, $50 more does not."
            </p>
            <div class="designs-setup">
                <div class="field">
                    <label for="design-choice">"Design"</label>
                    <select id="design-choice" on:change=move |ev| {
                        if let Some(d) = Design::from_slug(&event_target_value(&ev)) {
                            design.set(d);
                            switch.set(false);
                            changed();
                        }
                    }>
                        {Design::ALL.into_iter().enumerate().map(|(i, d)| view! {
                            <option value=d.slug() selected=move || design.get() == d>
                                {format!("{}. {}", i + 1, d.name())}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="crash-choice">"Crash"</label>
                    <select id="crash-choice" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        crash.set(CrashPoint::ALL.into_iter().find(|p| p.slug() == v));
                        changed();
                    }>
                        <option value="none" selected=move || crash.get().is_none()>"No crash"</option>
                        {CrashPoint::ALL.into_iter().map(|p| view! {
                            <option value=p.slug() selected=move || crash.get() == Some(p)>{p.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <Switch design switch changed />
            </div>
            <p class="design-summary" data-testid="design-summary">{move || lesson(design.get()).summary}</p>
            <Predict prediction />
            <div class="designs-run">
                <button
                    on:click=go
                    disabled=move || prediction.get().is_none()
                    aria-describedby="predict-first"
                >
                    "Run the story"
                </button>
                <span id="predict-first" class="hint">
                    {move || if prediction.get().is_none() { "Pick a prediction first." } else { "" }}
                </span>
            </div>
            <div aria-live="polite" data-runs=move || runs.get() data-testid="design-result">
                {move || result.get().map(|r| match r {
                    Ok(view) => result_view(view).into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
                })}
            </div>
        </section>
        <Simulator />
    }
}

/// The design's switch, where it has one.
#[component]
fn Switch(
    design: RwSignal<Design>,
    switch: RwSignal<bool>,
    changed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let label = match design.get() {
            Design::DualWrite => {
                "Publish first, then write (the Order service's order of the two writes)"
            }
            Design::EventsTable => {
                "Be the developer who forgets: the code that approves an order writes no event"
            }
            _ => return None,
        };
        Some(view! {
            <label class="switch">
                <input
                    type="checkbox"
                    prop:checked=move || switch.get()
                    on:change=move |ev| {
                        switch.set(event_target_checked(&ev));
                        changed();
                    }
                />
                {label}
            </label>
        })
    }
}

/// The prediction, asked before the run.
#[component]
fn Predict(prediction: RwSignal<Option<Prediction>>) -> impl IntoView {
    let choices: Vec<Prediction> = std::iter::once(None).chain(Kind::ALL.map(Some)).collect();
    view! {
        <fieldset class="predict">
            <legend>"Your prediction: what will the checker find?"</legend>
            {choices.into_iter().map(|p| view! {
                <label class="choice">
                    <input
                        type="radio"
                        name="prediction"
                        prop:checked=move || prediction.get() == Some(p)
                        on:change=move |_| prediction.set(Some(p))
                    />
                    {prediction_label(p)}
                </label>
            }).collect_view()}
        </fieldset>
    }
}

fn verdict(view: &RunView) -> String {
    let found = |k: Kind| view.findings.iter().any(|(kind, _)| *kind == k);
    match view.prediction {
        None if view.findings.is_empty() => {
            "You predicted that nothing breaks. Right: the checker found nothing.".into()
        }
        None => "You predicted that nothing breaks. Not so: see what the checker found.".into(),
        Some(k) if found(k) => {
            format!("You predicted: {}. Right: the checker found it.", k.label())
        }
        Some(k) => format!(
            "You predicted: {}. The checker did not find that here.",
            k.label()
        ),
    }
}

fn result_view(view: RunView) -> impl IntoView {
    let l = lesson(view.design);
    let crash_line = match (view.crash, &view.crashed_at) {
        (None, _) => "No crash this time.".to_string(),
        (Some(_), Some(at)) => format!("The crash: {at}."),
        (Some(p), None) => format!(
            "The crash point \"{}\" was never reached: this design has no such step, so nothing crashed.",
            p.label().to_lowercase()
        ),
    };
    let findings = if view.findings.is_empty() {
        view! { <p class="ok" data-testid="no-findings">"The checker found nothing broken."</p> }
            .into_any()
    } else {
        view! {
            <ul class="findings" data-testid="findings">
                {view.findings.iter().map(|(_, s)| view! { <li>{s.clone()}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="design-result" aria-labelledby="left-behind">
            <h3 id="left-behind">{format!("What {} left behind", view.design.name())}</h3>
            <p class="verdict" data-testid="verdict">{verdict(&view)}</p>
            <p data-testid="crash-line">{crash_line}</p>
            <h4>"What the checker found"</h4>
            {findings}
            <article class="lesson" aria-labelledby="lesson-title">
                <h4 id="lesson-title">{format!("Lesson: {}", view.design.name())}</h4>
                <ul>{l.says.iter().map(|s| view! { <li>{*s}</li> }).collect_view()}</ul>
                <p class="cite">{format!("From {}.", l.source)}</p>
                <p class="foldlab">{l.foldlab}</p>
            </article>
            <h4>"The same crash under all seven designs"</h4>
            <div class="table-scroll" role="region" aria-label="The same crash under all seven designs" tabindex="0">
                <table class="grid everywhere">
                    <thead>
                        <tr>
                            <th scope="col">"Design"</th>
                            <th scope="col">"What the checker found"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {view.everywhere.into_iter().map(|(d, sentences)| view! {
                            <tr class:chosen=d == view.design>
                                <th scope="row">{format!("{}. {}", Design::ALL.iter().position(|x| *x == d).unwrap_or(0) + 1, d.name())}</th>
                                <td>
                                    {if sentences.is_empty() {
                                        view! { <span class="nothing">"Nothing broken."</span> }.into_any()
                                    } else {
                                        view! { <ul>{sentences.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="hint">"Each row ran on its own records in this browser. The switches apply only to the design you chose."</p>
            <h4>"What happened"</h4>
            <ol class="narration">{view.narration.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ol>
            <h4>"The tables as they are now"</h4>
            <p class="hint">"Read back from this browser's localStorage, one record per database."</p>
            <div class="stored">
                {view.stored.into_iter().map(|(name, db)| database_view(name, db)).collect_view()}
            </div>
        </section>
    }
}

fn database_view(name: String, db: Result<Database, String>) -> impl IntoView {
    let body = match db {
        Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Ok(db) if db.tables.is_empty() => view! { <p class="empty">"Empty."</p> }.into_any(),
        Ok(db) => db
            .tables
            .into_iter()
            .map(|(table, rows)| table_view(&name, table, rows))
            .collect_view()
            .into_any(),
    };
    view! {
        <div class="database" data-testid=format!("db-{name}")>
            <h5>{name.clone()}</h5>
            {body}
        </div>
    }
}

/// Columns shown first, in this order, where a table has them.
const FIRST_COLUMNS: [&str; 11] = [
    "type",
    "op",
    "entity_type",
    "entity_id",
    "event_type",
    "table",
    "key",
    "column",
    "old",
    "new",
    "order",
];

/// A table as it is: one column for the key (the sequence number in ordered tables), then every
/// column any row has.
fn table_view(db: &str, table: String, rows: Table) -> impl IntoView {
    let mut columns: Vec<String> = Vec::new();
    for row in rows.values() {
        for c in row.keys() {
            if c != "seq" && !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    // What a row is about first, then the rest in their usual order.
    columns.sort_by_key(|c| {
        FIRST_COLUMNS
            .iter()
            .position(|f| f == c)
            .unwrap_or(FIRST_COLUMNS.len())
    });
    let ordered = rows.values().all(|r| r.contains_key("seq"));
    let key_name = if ordered { "#" } else { "key" };
    let label = format!("{table} in {db}");
    view! {
        <div class="table-scroll" role="region" aria-label=label.clone() tabindex="0">
            <table class="grid compact">
                <caption>{format!("{table} ({} row{})", rows.len(), if rows.len() == 1 { "" } else { "s" })}</caption>
                <thead>
                    <tr>
                        <th scope="col">{key_name}</th>
                        {columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|(key, row)| {
                        let key = if ordered { key.trim_start_matches('0').to_string() } else { key };
                        view! {
                            <tr>
                                <td><code>{key}</code></td>
                                {columns.iter().map(|c| view! { <td>{row.get(c).cloned().unwrap_or_default()}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `1,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The simulator's table, computed here from the same code the native command runs.
#[component]
fn Simulator() -> impl IntoView {
    let rows = RwSignal::new(Vec::<(Design, Counts)>::new());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move |_| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        rows.set(Vec::new());
        error.set(None);
        spawn_local(async move {
            for d in Design::ALL {
                // Let the page draw the progress between designs.
                pause(0).await;
                match simulate_design(d, SEEDS) {
                    Ok(counts) => rows.update(|r| r.push((d, counts))),
                    Err(e) => {
                        error.set(Some(e.to_string()));
                        break;
                    }
                }
            }
            running.set(false);
        });
    };
    let done = move || rows.with(|r| r.len()) == Design::ALL.len();
    view! {
        <section class="panel designs-sim" aria-labelledby="sim-title">
            <h2 id="sim-title">"Every design, 1,000 seeds"</h2>
            <p class="hint">
                {format!("The simulator plays the same {} drawn stories under every design. Each story has its own orders, some placed at once, and deliveries in between. Three stories in four plan a crash at a drawn point; it happens when the design gets there. Each switch is on in half of them. The table counts the stories in which the checker found each problem.", thousands(SEEDS))}
            </p>
            <p>"The same code prints the same table with this command: " <code class="command">{COMMAND}</code></p>
            <div class="designs-run">
                <button on:click=start disabled=move || running.get()>"Run the simulator"</button>
                <span role="status" class="hint">
                    {move || if running.get() {
                        format!("Running design {} of 7…", rows.with(|r| r.len()) + 1)
                    } else if done() {
                        format!("Done: {} seeds per design.", thousands(SEEDS))
                    } else {
                        String::new()
                    }}
                </span>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || !rows.with(|r| r.is_empty())>
                <div class="table-scroll" role="region" aria-label="Simulator results" tabindex="0">
                    <table class="grid" data-testid="sim-table">
                        <caption>{format!("Share of {} seeds on which the checker found each problem", thousands(SEEDS))}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Design"</th>
                                <th scope="col">"Invariant broken"</th>
                                <th scope="col" class="num">"Seeds"</th>
                                <th scope="col" class="num">"Share"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || rows.get().into_iter().flat_map(|(d, counts)| {
                                let lines: Vec<(String, u64)> = if counts.is_empty() {
                                    vec![("none".to_string(), 0)]
                                } else {
                                    counts.iter().map(|(k, (n, _))| (k.label().to_string(), *n)).collect()
                                };
                                lines.into_iter().map(move |(what, n)| view! {
                                    <tr>
                                        <td>{d.name()}</td>
                                        <td>{what}</td>
                                        <td class="num">{format!("{n}/{SEEDS}")}</td>
                                        <td class="num">{format!("{:.1}%", 100.0 * n as f64 / SEEDS as f64)}</td>
                                    </tr>
                                })
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
