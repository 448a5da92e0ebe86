//! The controls a timeline is driven with — Step back, Step forward, Play/Pause and a speed — each
//! with its keyboard shortcut shown beside it and announced with `aria-keyshortcuts`, and the
//! keyboard handling itself: → or "." steps forward, ← or "," steps back, Space or "p" plays and
//! pauses. Keys typed into a field, or pressed on a control that already answers them (a slider's
//! arrows, a button's Space), are left alone.

use leptos::ev;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// The speeds a timeline plays at: a label and the pause between steps.
pub const SPEEDS: [(&str, u32); 3] = [
    ("Slow (2 s a step)", 2_000),
    ("Normal (1 s a step)", 1_000),
    ("Fast (0.3 s a step)", 300),
];

/// What a shortcut key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Step forward.
    Forward,
    /// Step back.
    Back,
    /// Play or pause.
    PlayPause,
}

/// The shortcut a key press means on a timeline page, or `None` when it must be left to the
/// browser: typing into a field, arrows on a slider, Space on a button, or any modifier held.
pub fn shortcut(event: &web_sys::KeyboardEvent) -> Option<Key> {
    if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
        return None;
    }
    let target = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let in_field = target.as_ref().is_some_and(|el| {
        el.closest("input, textarea, select, [contenteditable]")
            .ok()
            .flatten()
            .is_some()
    });
    if in_field {
        return None;
    }
    let on_control = target
        .as_ref()
        .is_some_and(|el| el.closest("button, a, summary").ok().flatten().is_some());
    match event.key().as_str() {
        "ArrowRight" | "." => Some(Key::Forward),
        "ArrowLeft" | "," => Some(Key::Back),
        " " if !on_control => Some(Key::PlayPause),
        "p" | "P" => Some(Key::PlayPause),
        _ => None,
    }
}

/// Step back / Step forward / Play with a speed, and the same on the keyboard while the component
/// is on the page. While `playing`, `forward` is called every `speed` milliseconds (skipped while
/// `busy`); the caller pauses when there is nothing more to play. With nothing ahead
/// (`can_forward` false) Step forward and Play are disabled; Pause stays enabled while playing.
#[component]
pub fn Transport(
    /// Steps back.
    back: Callback<()>,
    /// Steps forward.
    forward: Callback<()>,
    /// Whether a step back is possible.
    #[prop(into)]
    can_back: Signal<bool>,
    /// Whether a step forward is possible (always, when not given).
    #[prop(optional, into)]
    can_forward: Option<Signal<bool>>,
    /// Whether a step is running (controls wait).
    #[prop(into)]
    busy: Signal<bool>,
    /// What "Step forward" will do, said beside it.
    #[prop(into)]
    forward_hint: Signal<String>,
    /// Whether it plays.
    playing: RwSignal<bool>,
    /// The pause between played steps, in milliseconds.
    speed: RwSignal<u32>,
) -> impl IntoView {
    let ahead = can_forward;
    let can_forward = move || ahead.is_none_or(|s| s.get());
    let can_forward_now = move || ahead.is_none_or(|s| s.get_untracked());
    let toggle = move || playing.update(|p| *p = !*p);
    let keys = window_event_listener(ev::keydown, move |event| {
        let Some(key) = shortcut(&event) else { return };
        event.prevent_default();
        match key {
            Key::Forward if !busy.get_untracked() && can_forward_now() => {
                playing.set(false);
                forward.run(());
            }
            Key::Back if !busy.get_untracked() && can_back.get_untracked() => {
                playing.set(false);
                back.run(());
            }
            Key::PlayPause if playing.get_untracked() || can_forward_now() => toggle(),
            Key::PlayPause => {}
            Key::Forward | Key::Back => {}
        }
    });
    let keys = StoredValue::new_local(Some(keys));
    let timer = StoredValue::new_local(None::<IntervalHandle>);
    let stop_timer = move || {
        if let Some(handle) = timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    Effect::new(move |_| {
        let (on, every) = (playing.get(), speed.get());
        stop_timer();
        if on {
            let tick = move || {
                if !busy.get_untracked() {
                    forward.run(());
                }
            };
            if let Ok(handle) = set_interval_with_handle(tick, Duration::from_millis(every.into()))
            {
                timer.set_value(Some(handle));
            }
        }
    });
    on_cleanup(move || {
        stop_timer();
        if let Some(handle) = keys.try_update_value(Option::take).flatten() {
            handle.remove();
        }
    });
    view! {
        <div class="transport" role="group" aria-label="Timeline controls">
            <button
                on:click=move |_| {
                    playing.set(false);
                    back.run(());
                }
                disabled=move || busy.get() || !can_back.get()
                aria-keyshortcuts="ArrowLeft ,"
            >
                "Step back"
            </button>
            <span class="keys" aria-hidden="true"><kbd>"←"</kbd> " or " <kbd>","</kbd></span>
            <button
                on:click=move |_| {
                    playing.set(false);
                    forward.run(());
                }
                disabled=move || busy.get() || !can_forward()
                aria-keyshortcuts="ArrowRight ."
            >
                "Step forward"
            </button>
            <span class="keys" aria-hidden="true"><kbd>"→"</kbd> " or " <kbd>"."</kbd></span>
            <button
                class="play"
                on:click=move |_| toggle()
                disabled=move || !playing.get() && !can_forward()
                aria-keyshortcuts="Space p"
            >
                {move || if playing.get() { "Pause" } else { "Play" }}
            </button>
            <span class="keys" aria-hidden="true"><kbd>"Space"</kbd> " or " <kbd>"p"</kbd></span>
            <label class="speed">
                "Speed "
                <select on:change=move |ev| {
                    if let Ok(ms) = event_target_value(&ev).parse() {
                        speed.set(ms);
                    }
                }>
                    {SPEEDS
                        .iter()
                        .map(|(label, ms)| {
                            let ms = *ms;
                            view! { <option value=ms.to_string() selected=move || speed.get() == ms>{*label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <p class="forward-hint" aria-live="polite">{forward_hint}</p>
        </div>
    }
}
