//! Guided lessons: the bundled scenarios listed, and one lesson at a time — a few steps of text
//! beside the live lab, Next and Back, each Next running the next part of the scenario against the
//! lab's own store. Where the lesson stands is in the route (`?step=N`) and in localStorage.

use super::choreography::Choreography;
use super::command_side::CommandSide;
use super::event_table::EventTable;
use super::query_side::QuerySide;
use super::share::{copy_link, site_url};
use super::transport::{shortcut, Key};
use crate::address::href;
use crate::lab::lesson_text::{find, Lesson, LESSONS};
use crate::lab::lessons::{describe, outcome, Progress};
use crate::lab::Lab;
use foldlab_lab::scenario::Scenario;
use foldlab_lab::sim::{Step, StepResult};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Every lesson.
#[component]
pub fn Lessons() -> impl IntoView {
    let resume = Progress::load()
        .filter(|p| p.step > 0)
        .and_then(|p| find(&p.id).map(|lesson| (lesson, p.step)));
    view! {
        <section class="panel lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title">"Lessons"</h2>
            <p class="hint">
                "Each lesson runs one of Foldlab's scenarios against this lab, a part at a time, and tells you what to look at. Starting one replaces what the lab holds."
            </p>
            {resume.map(|(lesson, step)| view! {
                <p class="resume" role="status">
                    "You are in the middle of "
                    <A href=href(&format!("/lessons/{}?step={step}", lesson.id))>{lesson.title}</A>
                    {format!(", step {step} of {}.", lesson.steps.len())}
                </p>
            })}
            <ol class="lesson-list">
                {LESSONS
                    .iter()
                    .map(|lesson| {
                        let description = Scenario::parse(lesson.scenario)
                            .map(|s| s.description)
                            .unwrap_or_else(|e| e.to_string());
                        view! {
                            <li>
                                <h3><A href=href(&format!("/lessons/{}", lesson.id))>{lesson.title}</A></h3>
                                <p>{description}</p>
                                <p class="meta">{format!("{} steps", lesson.steps.len())}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// One lesson, chosen by the route.
#[component]
pub fn LessonPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let id = params.with(|p| p.get("id").unwrap_or_default());
        match find(&id) {
            Some(lesson) => view! { <LessonView lesson /> }.into_any(),
            None => view! {
                <section class="panel">
                    <h2>"No such lesson"</h2>
                    <p>
                        "Foldlab has no lesson \u{201c}" {id} "\u{201d}. "
                        <A href=href("/lessons")>"See every lesson"</A>
                    </p>
                </section>
            }
            .into_any(),
        }
    }
}

/// Puts `?step=N` in the address bar without a navigation, so a reload lands on the same step.
fn show_step_in_url(step: usize) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(path) = window.location().pathname() else {
        return;
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}?step={step}")),
        );
    }
}

#[component]
fn LessonView(lesson: &'static Lesson) -> impl IntoView {
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

    // Where the lesson stands: the saved progress for this lesson, at the step the route names.
    let saved = Progress::load().filter(|p| p.id == lesson.id);
    let started = RwSignal::new(saved.is_some());
    let ran = RwSignal::new(saved.as_ref().map_or(0, |p| p.ran));
    let from_route = use_query_map()
        .get_untracked()
        .get("step")
        .and_then(|s| s.parse::<usize>().ok());
    let first = match (&saved, from_route) {
        (Some(_), Some(step)) => step,
        (Some(p), None) => p.step,
        (None, _) => 0,
    };
    let step = RwSignal::new(first.min(lesson.steps.len()));
    Effect::new(move |_| {
        let (step, ran) = (step.get(), ran.get());
        if started.get() {
            Progress {
                id: lesson.id.to_string(),
                step,
                ran,
            }
            .save();
        }
        show_step_in_url(step);
    });

    let results = RwSignal::new(Vec::<(String, String)>::new());
    let error = RwSignal::new(None::<String>);
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
            let upto = lesson.steps[0].run_to;
            let part = steps.with_value(|s| s[..upto.min(s.len())].to_vec());
            let got = lab.start_scenario(&settings.get_value(), &part).await;
            if show(&part, got) {
                started.set(true);
                ran.set(upto);
                step.set(1);
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
    let next = move || {
        let target = step.get_untracked() + 1;
        if target > lesson.steps.len() {
            return;
        }
        let upto = lesson.steps[target - 1].run_to;
        let from = ran.get_untracked();
        if from >= upto {
            results.set(Vec::new());
            step.set(target);
            return;
        }
        running.set(true);
        spawn_local(async move {
            let part = steps.with_value(|s| s[from.min(s.len())..upto.min(s.len())].to_vec());
            let got = lab.run_steps(&part).await;
            if show(&part, got) {
                ran.set(upto);
                step.set(target);
            }
            running.set(false);
        });
    };
    let back = move || step.update(|s| *s = s.saturating_sub(1).max(1));
    let busy = move || running.get() || lab.busy.get();
    // The timeline pages' keys: → or "." for Next, ← or "," for Back, shown beside the buttons.
    let keys = window_event_listener(leptos::ev::keydown, move |event| {
        let key = shortcut(&event);
        let (n, idle) = (
            step.get_untracked(),
            !running.get_untracked() && !lab.busy.get_untracked(),
        );
        if !started.get_untracked() || n == 0 || !idle {
            return;
        }
        match key {
            Some(Key::Forward) if n < lesson.steps.len() => {
                event.prevent_default();
                next();
            }
            Some(Key::Back) if n > 1 => {
                event.prevent_default();
                back();
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    let link = site_url(&format!("/lessons/{}", lesson.id));
    let copied = RwSignal::new(None::<String>);

    view! {
        <div class="lesson-page">
            <section class="panel lesson" aria-labelledby="lesson-title">
                <p class="crumbs"><A href=href("/lessons")>"All lessons"</A></p>
                <h2 id="lesson-title">{lesson.title}</h2>
                <Show
                    when=move || { started.get() && step.get() > 0 }
                    fallback=move || {
                        let description = description.clone();
                        view! {
                            <p class="intro">{description}</p>
                            <p class="hint">
                                {format!(
                                    "{} steps. Starting resets the lab, then runs the first part of the scenario.",
                                    lesson.steps.len()
                                )}
                            </p>
                            <button on:click=ask_to_start disabled=busy>"Start the lesson"</button>
                        }
                    }
                >
                    {move || {
                        let n = step.get();
                        let current = &lesson.steps[n - 1];
                        view! {
                            <p class="step-count" data-testid="lesson-step">
                                {format!("Step {n} of {}", lesson.steps.len())}
                            </p>
                            <div aria-live="polite">
                                <h3>{current.title}</h3>
                                <p>{current.text}</p>
                                <p class="look"><strong>"Look at: "</strong>{current.look}</p>
                            </div>
                        }
                    }}
                    <div class="controls">
                        <button on:click=move |_| back() disabled=move || busy() || step.get() <= 1 aria-keyshortcuts="ArrowLeft ,">"Back"</button>
                        <span class="keys" aria-hidden="true"><kbd>"←"</kbd> " or " <kbd>","</kbd></span>
                        <button on:click=move |_| next() disabled=move || { busy() || step.get() >= lesson.steps.len() } aria-keyshortcuts="ArrowRight .">
                            "Next"
                        </button>
                        <span class="keys" aria-hidden="true"><kbd>"→"</kbd> " or " <kbd>"."</kbd></span>
                        <button class="quiet" on:click=ask_to_start disabled=busy>"Start over…"</button>
                    </div>
                    <Show when=move || { step.get() >= lesson.steps.len() }>
                        <p class="ok" role="status">
                            "Lesson complete. " <A href=href("/lessons")>"Choose another lesson"</A>
                        </p>
                    </Show>
                    <Show when=move || {
                        ran.get() > 0 && !lab.busy.get() && lab.readout.with(|s| s.events.is_empty())
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
                                    "Starting this lesson replaces the current lab: all {n} events and every checkpoint are deleted first."
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
                <Show when=move || !results.with(Vec::is_empty)>
                    <h3>"What ran"</h3>
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
            </section>
            <div class="lesson-lab">
                <div class="lesson-col">
                    <Choreography />
                </div>
                <div class="lesson-col">
                    <QuerySide />
                    <CommandSide />
                </div>
                <EventTable />
            </div>
        </div>
    }
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
            <li>{move || lab.readout.with(|s| format!("Event store: {} events, {} deliveries waiting", s.head(), s.pending))}</li>
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
