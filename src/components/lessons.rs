//! Guided lessons: the path of lessons (grouped, each with its minutes and a done mark), and one
//! lesson at a time as a strip above the live lab. The learner acts in the lab (or presses "Do it
//! for me"), answers a question before the step that matters, and the strip says what happened
//! once the store shows it. What counts as done is `foldlab_lab::lesson`'s to judge.

use super::ask::{AnswerVerdict, Choices};
use super::lab_page::Stage;
use super::share::{copy_link, site_url};
use super::transport::{shortcut, Key};
use crate::address::{href, keep_query, query, Address};
use crate::lab::lesson_text::{find, Act, Group, Lesson, Look, LESSONS};
use crate::lab::lessons::{describe, outcome, Progress};
use crate::lab::Lab;
use foldlab_lab::lesson::{Next, Readout, Walk};
use foldlab_lab::scenario::Scenario;
use foldlab_lab::sim::{Step, StepResult};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// Every lesson, as a path in groups.
#[component]
pub fn Lessons() -> impl IntoView {
    let done = Progress::done();
    let resume = Progress::load()
        .filter(|p| !done.contains(&p.id) && (p.walk.happened > 0 || p.walk.ran > 0))
        .and_then(|p| find(&p.id));
    view! {
        <section class="panel lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title">"Lessons"</h2>
            <p class="hint">
                "A path through the patterns: you act in the lab, predict what happens, then see. Starting a lesson empties the lab."
            </p>
            <p class="meta" data-testid="lessons-done">
                {format!("{} of {} lessons done", done.len().min(LESSONS.len()), LESSONS.len())}
            </p>
            {resume.map(|lesson| view! {
                <p class="resume" role="status">
                    "You are in the middle of "
                    <a href=href(&format!("/lessons/{}", lesson.id))>{lesson.title}</a>
                </p>
            })}
            {Group::ALL
                .into_iter()
                .map(|group| {
                    let heading = format!("lessons-{}", group.id());
                    let done = done.clone();
                    view! {
                        <section class="lesson-group" aria-labelledby=heading.clone()>
                            <h3 id=heading.clone()>{group.title()}</h3>
                            <ol class="lesson-list">
                                {LESSONS
                                    .iter()
                                    .filter(|l| l.group == group)
                                    .map(|lesson| lesson_item(lesson, done.iter().any(|d| d == lesson.id)))
                                    .collect_view()}
                            </ol>
                            {(group == Group::Why).then(|| view! {
                                <p class="meta">
                                    "Why not a database table and a message broker? "
                                    <a href=href("/designs")>"Compare seven designs"</a>
                                </p>
                            })}
                        </section>
                    }
                })
                .collect_view()}
        </section>
    }
}

fn lesson_item(lesson: &'static Lesson, done: bool) -> impl IntoView {
    // One sentence in the list; the lesson itself says the rest.
    let description = Scenario::parse(lesson.scenario)
        .map(|s| match s.description.find(". ") {
            Some(end) => s.description[..=end].to_string(),
            None => s.description,
        })
        .unwrap_or_else(|e| e.to_string());
    view! {
        <li class:done=done data-testid="lesson-item">
            <h4>
                <a href=href(&format!("/lessons/{}", lesson.id))>{lesson.title}</a>
                {done.then(|| view! { <span class="done-mark">" \u{2713} done"</span> })}
            </h4>
            <p>{description}</p>
            <p class="meta">{format!("{} min \u{b7} {} steps", lesson.minutes, lesson.steps.len())}</p>
        </li>
    }
}

/// One lesson, chosen by the route: its strip at the top of the lab's stage.
#[component]
pub fn LessonPage() -> impl IntoView {
    let address = expect_context::<Address>();
    move || {
        // The id as written, not as the address bar escapes it (`%20` for a space).
        let id = address.with_path(|p| {
            let id = p
                .and_then(|p| p.strip_prefix("/lessons/"))
                .unwrap_or_default();
            js_sys::decode_uri_component(id)
                .ok()
                .and_then(|d| d.as_string())
                .unwrap_or_else(|| id.to_string())
        });
        match find(&id) {
            Some(lesson) => {
                view! { <Stage strip=view! { <LessonStrip lesson /> }.into_any() /> }.into_any()
            }
            None => view! {
                <section class="panel">
                    <h2>"No such lesson"</h2>
                    <p>
                        "Foldlab has no lesson \u{201c}" {id} "\u{201d}. "
                        <a href=href("/lessons")>"See every lesson"</a>
                    </p>
                </section>
            }
            .into_any(),
        }
    }
}

/// Outlines the part of the screen a step points at and scrolls it into view, for a few seconds.
fn highlight(look: Look) {
    outline(look.target.anchor(), false);
}

/// Outlines what the heading `anchor` labels (its form, section or disclosure, opened), scrolls it
/// into view, and with `focus` puts the keyboard in its first field or button.
fn outline(anchor: &str, focus: bool) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(anchor) = document.get_element_by_id(anchor) else {
        return;
    };
    if let Ok(Some(details)) = anchor.closest("details") {
        let _ = details.set_attribute("open", "");
    }
    let target = anchor
        .closest("form, section, details")
        .ok()
        .flatten()
        .unwrap_or(anchor);
    let _ = target.set_attribute("data-look", "");
    target.scroll_into_view();
    if focus {
        if let Some(field) = target
            .query_selector("input, select, button")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = field.focus();
        }
    }
    set_timeout(
        move || {
            let _ = target.remove_attribute("data-look");
        },
        Duration::from_millis(2500),
    );
}

/// One lesson as a strip: the step to make happen or the one that just happened, its question,
/// and its controls. Self-contained: it needs only the lab in context.
#[component]
pub fn LessonStrip(lesson: &'static Lesson) -> impl IntoView {
    let lab = expect_context::<Lab>();
    let scenario = Scenario::parse(lesson.scenario);
    let (settings, steps) = match &scenario {
        Ok(s) => (s.settings.clone(), s.steps.clone()),
        Err(_) => Default::default(),
    };
    let description = scenario
        .as_ref()
        .map(|s| s.description.clone())
        .unwrap_or_else(|e| e.to_string());
    let settings = StoredValue::new(settings);
    let steps: StoredValue<Vec<Step>> = StoredValue::new(steps);
    let total = lesson.steps.len();

    // Where the lesson stands: the saved progress for this lesson, at the step the route names.
    let saved = Progress::load().filter(|p| p.id == lesson.id);
    let started = RwSignal::new(saved.is_some());
    let walk = RwSignal::new(saved.as_ref().map(|p| p.walk.clone()).unwrap_or_default());
    let from_route = query("step")
        .and_then(|s| s.parse::<usize>().ok())
        .map(|s| s.saturating_sub(1));
    let first = match (&saved, from_route) {
        (Some(p), Some(step)) => step.min(p.walk.happened),
        (Some(p), None) => p.shown,
        (None, _) => 0,
    };
    // The step shown (0-based); the one to make happen when it equals `walk.happened`.
    let shown = RwSignal::new(first.min(total));
    Effect::new(move |_| {
        let (n, walk) = (shown.get(), walk.get());
        if started.get() {
            if lesson.complete(&walk) {
                Progress::mark_done(lesson.id);
            }
            Progress {
                id: lesson.id.to_string(),
                shown: n,
                walk,
            }
            .save();
        }
        // The address keeps the step, so a reload lands on it.
        keep_query(
            &format!("/lessons/{}", lesson.id),
            &format!("?step={}", n + 1),
        );
    });
    // The judge: whenever the store changes, move on over every step it shows has happened.
    Effect::new(move |_| {
        if !started.get() {
            return;
        }
        let moved = lab.readout.with(|s| {
            let readout = Readout {
                events: &s.events,
                pending: s.pending,
            };
            let mut next = walk.get();
            lesson.advance(&mut next, &readout);
            (next != walk.get_untracked()).then_some(next)
        });
        if let Some(next) = moved {
            walk.set(next);
        }
    });

    let results = RwSignal::new(Vec::<(String, String)>::new());
    let error = RwSignal::new(None::<String>);
    let said = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let show = move |part: &[Step], got: Result<Vec<StepResult>, String>| match got {
        Ok(got) => {
            results.set(
                part.iter()
                    .zip(&got)
                    .map(|(s, r)| (describe(s), outcome(r)))
                    .collect(),
            );
            error.set(None);
            true
        }
        Err(e) => {
            error.set(Some(e));
            false
        }
    };

    let start = move || {
        confirming.set(false);
        running.set(true);
        spawn_local(async move {
            // Only the scenario's settings and seed events: its steps come one part at a time.
            let got = lab.start_scenario(&settings.get_value(), &[]).await;
            if show(&[], got) {
                results.set(Vec::new());
                said.set(None);
                walk.set(Walk::default());
                shown.set(0);
                started.set(true);
            }
            running.set(false);
        });
    };
    let ask_to_start = move |_| {
        if lab.readout.with_untracked(|s| s.events.is_empty()) {
            start();
        } else {
            confirming.set(true);
        }
    };
    let run_part = move |upto: usize| {
        let from = walk.with_untracked(|w| w.ran);
        running.set(true);
        spawn_local(async move {
            let part = steps.with_value(|s| s[from.min(s.len())..upto.min(s.len())].to_vec());
            let got = lab.run_steps(&part).await;
            if show(&part, got) {
                walk.update(|w| w.ran = upto);
            }
            running.set(false);
        });
    };
    let next = move || {
        let n = shown.get_untracked();
        if n < walk.with_untracked(|w| w.happened) {
            shown.set(n + 1);
            said.set(None);
        }
    };
    let back = move || {
        shown.update(|s| *s = s.saturating_sub(1));
        said.set(None);
    };
    let busy = move || running.get() || lab.busy.get();
    // The timeline pages' keys: → or "." for Next, ← or "," for Back, shown beside the buttons.
    let keys = window_event_listener(leptos::ev::keydown, move |event| {
        let key = shortcut(&event);
        let idle = !running.get_untracked() && !lab.busy.get_untracked();
        if !started.get_untracked() || !idle {
            return;
        }
        let n = shown.get_untracked();
        match key {
            Some(Key::Forward) if n < walk.with_untracked(|w| w.happened) => {
                event.prevent_default();
                next();
            }
            Some(Key::Back) if n > 0 => {
                event.prevent_default();
                back();
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    let link = site_url(&format!("/lessons/{}", lesson.id));
    let copied = RwSignal::new(None::<String>);

    // The part of the strip for the step shown.
    let step_view = move || {
        let n = shown.get();
        let w = walk.get();
        if n >= total {
            return view! {
                <div class="lesson-now">
                    <p class="ok" role="status">
                        "Lesson complete. " <a href=href("/lessons")>"Choose another lesson"</a>
                    </p>
                </div>
            }
            .into_any();
        }
        let step = &lesson.steps[n];
        let answer = w.answers.get(n).copied().flatten();
        if n < w.happened {
            // It happened: what, why, and whether the prediction was right.
            let verdict = step
                .predict
                .as_ref()
                .zip(answer)
                .map(|(prediction, chosen)| view! { <AnswerVerdict prediction chosen /> });
            let look = step.look;
            // With a question, its answer says why and the full account folds away; without one,
            // the account is the step's one text.
            let text = if step.predict.is_some() {
                view! {
                    <details class="lesson-text">
                        <summary>"What happened, in full"</summary>
                        <p>{step.text}</p>
                    </details>
                }
                .into_any()
            } else {
                view! { <p class="lesson-text">{step.text}</p> }.into_any()
            };
            return view! {
                <div class="lesson-now" aria-live="polite">
                    <h3>{step.title}</h3>
                    {verdict}
                    {text}
                    <p class="look">
                        <strong>"Look at: "</strong>{look.text} " "
                        <button class="small quiet" on:click=move |_| highlight(look)>"Show me"</button>
                    </p>
                </div>
            }
            .into_any();
        }
        match lesson.next(&w) {
            Next::Predict(_) => {
                let Some(p) = step.predict.as_ref() else {
                    return ().into_any();
                };
                let chosen = RwSignal::new(None::<usize>);
                let name = format!("predict-{}-{n}", lesson.id);
                view! {
                    <div class="lesson-now">
                        <h3>{step.title}</h3>
                        <form class="ask" on:submit=move |ev| {
                            ev.prevent_default();
                            if let Some(c) = chosen.get_untracked() {
                                walk.update(|w| lesson.answer(w, n, c));
                            }
                        }>
                            <Choices prediction=p name chosen />
                            <button type="submit" disabled=move || chosen.get().is_none()>"Answer"</button>
                        </form>
                    </div>
                }
                .into_any()
            }
            Next::Act(_) | Next::Complete => {
                let guess = step.predict.as_ref().zip(answer).map(|(p, c)| {
                    view! {
                        <p class="guess">
                            "Your prediction: " {p.choices.get(c).copied().unwrap_or_default()}
                            ". Now make it happen."
                        </p>
                    }
                });
                let doing = match step.act {
                    Act::Do { task, .. } => view! {
                        <p class="task" data-testid="lesson-task">{task.instruction()}</p>
                        <div class="controls">
                            <button class="quiet" on:click=move |_| outline(task.anchor(), true)>"Show me where"</button>
                            <button class="quiet" disabled=busy on:click=move |_| {
                                spawn_local(async move {
                                    let got = lab.do_task(task).await;
                                    said.set(Some(got.unwrap_or_else(|e| e)));
                                });
                            }>"Do it for me"</button>
                        </div>
                    }
                    .into_any(),
                    Act::Run(upto) => view! {
                        <p class="task" data-testid="lesson-task">"The lab runs this part of the scenario."</p>
                        <div class="controls">
                            <button disabled=busy on:click=move |_| run_part(upto)>"Run this part"</button>
                        </div>
                    }
                    .into_any(),
                };
                view! {
                    <div class="lesson-now">
                        <h3>{step.title}</h3>
                        {guess}
                        {doing}
                        {move || said.get().map(|s| view! { <p class="hint" role="status">{s}</p> })}
                    </div>
                }
                .into_any()
            }
        }
    };

    view! {
        <section class="panel lesson-strip" aria-labelledby="lesson-title">
            <div class="strip-head">
                <p class="crumbs"><a href=href("/lessons")>"All lessons"</a></p>
                <h2 id="lesson-title">{lesson.title}</h2>
                <Show when=move || started.get()>
                    <p class="step-count" data-testid="lesson-step">
                        {move || format!("Step {} of {total}", (shown.get() + 1).min(total))}
                    </p>
                </Show>
            </div>
            <Show
                when=move || started.get()
                fallback=move || {
                    let description = description.clone();
                    view! {
                        <div class="lesson-now">
                            <p class="intro">{description}</p>
                            <div class="controls">
                                <button on:click=ask_to_start disabled=busy>"Start the lesson"</button>
                                <span class="hint">{format!("{} min. Starting empties the lab.", lesson.minutes)}</span>
                            </div>
                        </div>
                    }
                }
            >
                {step_view}
                <div class="controls strip-controls">
                    <button on:click=move |_| back() disabled=move || busy() || shown.get() == 0 aria-keyshortcuts="ArrowLeft ,">"Back"</button>
                    <span class="keys" aria-hidden="true"><kbd>"←"</kbd> " or " <kbd>","</kbd></span>
                    <button on:click=move |_| next() disabled=move || { busy() || shown.get() >= walk.with(|w| w.happened) } aria-keyshortcuts="ArrowRight .">
                        "Next"
                    </button>
                    <span class="keys" aria-hidden="true"><kbd>"→"</kbd> " or " <kbd>"."</kbd></span>
                    <button class="quiet" on:click=ask_to_start disabled=busy>"Start over…"</button>
                </div>
                <Show when=move || {
                    walk.with(|w| w.ran > 0 || w.happened > 0) && !lab.busy.get() && lab.readout.with(|s| s.events.is_empty())
                }>
                    <p class="warning" role="status">
                        "The lab no longer holds this lesson's events (it was reset). Start over to run it again."
                    </p>
                </Show>
            </Show>
            <Show when=move || running.get()>
                <p class="waiting" role="status">"Running the scenario against the lab…"</p>
            </Show>
            <Show when=move || confirming.get()>
                <div role="group" aria-label="Confirm starting the lesson" class="confirm">
                    <span>
                        {move || {
                            let n = lab.readout.with(|s| s.events.len());
                            format!(
                                "Starting this lesson empties the lab: {} and every checkpoint are deleted first.",
                                events(n)
                            )
                        }}
                    </span>
                    <button class="danger" on:click=move |_| start() disabled=busy>
                        "Reset the lab and start"
                    </button>
                    <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <details class="lesson-more" id="lesson-ran">
                <summary>"What ran, and where the lab stands"</summary>
                <h3 id="lesson-ran-title">"What ran"</h3>
                <Show when=move || !results.with(Vec::is_empty) fallback=|| view! { <p class="hint">"Nothing run for you yet."</p> }>
                    <ol class="ran" data-testid="lesson-ran">
                        {move || {
                            results
                                .get()
                                .into_iter()
                                .map(|(what, came)| view! { <li>{what} <span class="came">{format!(" → {came}")}</span></li> })
                                .collect_view()
                        }}
                    </ol>
                </Show>
                <WhereTheLabStands />
                <div class="share-link">
                    <label for="lesson-link">"Link to this lesson"</label>
                    <div class="link-row">
                        <input id="lesson-link" readonly value=link.clone() />
                        <button on:click=move |_| copy_link(link.clone(), copied)>"Copy link"</button>
                    </div>
                    {move || copied.get().map(|m| view! { <p class="hint" role="status">{m}</p> })}
                </div>
            </details>
        </section>
    }
}

/// "1 event", "2 events".
fn events(n: usize) -> String {
    count(n, "event", "events")
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The head of the log and every checkpoint, the projections' included.
#[component]
fn WhereTheLabStands() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let rows = RwSignal::new(Vec::<(String, u64, u64, bool)>::new());
    Effect::new(move |_| {
        lab.readout.track();
        spawn_local(async move {
            let Some(engine) = lab.engine() else { return };
            if let Ok(statuses) = engine.query_side().statuses(engine.store()).await {
                rows.set(
                    statuses
                        .into_iter()
                        .map(|s| (s.name, s.lag.position, s.lag.events_behind, s.paused))
                        .collect(),
                );
            }
        });
    });
    view! {
        <h3>"Where the lab stands"</h3>
        <ul class="stands" data-testid="lab-stands">
            <li>
                {move || lab.readout.with(|s| {
                    format!(
                        "Event store: {}, {} waiting",
                        events(s.head() as usize),
                        count(s.pending, "delivery", "deliveries")
                    )
                })}
            </li>
            {move || {
                rows.get()
                    .into_iter()
                    .map(|(name, position, behind, paused)| {
                        view! {
                            <li>
                                <code>{name}</code>
                                {format!(
                                    " at #{position}, {behind} behind{}",
                                    if paused { ", paused" } else { "" }
                                )}
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}
