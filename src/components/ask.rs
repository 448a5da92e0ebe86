//! Predict, then reveal: a question with two or three answers before something happens, and the
//! verdict on the answer afterwards. The Lessons and Faults views ask the same way.

use foldlab_lab::lesson::{Prediction, Verdict};
use leptos::prelude::*;

/// The question as a group of radio buttons; `chosen` holds the answer picked so far.
#[component]
pub fn Choices(
    prediction: &'static Prediction,
    /// The radio group's name, unique on the page.
    name: String,
    chosen: RwSignal<Option<usize>>,
) -> impl IntoView {
    let choices = prediction
        .choices
        .iter()
        .enumerate()
        .map(|(i, choice)| {
            view! {
                <label class="choice">
                    <input type="radio" name=name.clone() value=i.to_string()
                        on:change=move |_| chosen.set(Some(i)) />
                    {*choice}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="ask">
            <legend>{prediction.question}</legend>
            {choices}
        </fieldset>
    }
}

/// Whether the answer `chosen` was right, and why.
#[component]
pub fn AnswerVerdict(prediction: &'static Prediction, chosen: usize) -> impl IntoView {
    let (class, said) = match prediction.verdict(chosen) {
        Verdict::Right => ("answer-verdict right-answer", "You were right.".to_string()),
        Verdict::Wrong { right } => (
            "answer-verdict wrong-answer",
            format!("Not quite: {right}."),
        ),
    };
    view! {
        <p class=class data-testid="verdict">
            <strong>{said}</strong> " " {prediction.why}
        </p>
    }
}
