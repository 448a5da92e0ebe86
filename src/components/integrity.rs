//! The integrity panel: shown on every view once a stored record could not be read. It says which
//! records and streams are damaged, that nothing was changed or deleted, and lets the user save
//! what is readable as a lab file that imports again.

use crate::components::share::download_as;
use crate::lab::Lab;
use foldlab_lab::salvage::salvage;
use foldlab_lab::sharing::lab_settings;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many problems the panel lists before it sums up the rest.
const LISTED: usize = 20;

/// The damaged records, and the way out. Renders nothing while the store is intact.
#[component]
pub fn IntegrityPanel() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let said = RwSignal::new(None::<Result<String, String>>);
    let export = move |_| {
        let Some(engine) = lab.engine() else { return };
        let Some(report) = lab.integrity.get_untracked() else {
            return;
        };
        let saved = salvage(&report, lab_settings(&engine), js_sys::Date::now() as i64);
        let outcome = serde_json::to_string(&saved.file)
            .map_err(|e| format!("The readable part could not be written out: {e}"))
            .and_then(|text| download_as(&text, "foldlab-readable"))
            .map(|name| {
                let left: Vec<String> = saved
                    .left_out
                    .iter()
                    .map(|l| format!("{} ({})", l.what, l.why))
                    .collect();
                if left.is_empty() {
                    format!("Saved {name} with {}.", foldlab_lab::counted(saved.file.events.len() as u64, "event", "events"))
                } else {
                    format!(
                        "Saved {name} with {}. Left out, so that the file imports and folds correctly: {}.",
                        foldlab_lab::counted(saved.file.events.len() as u64, "event", "events"),
                        left.join("; ")
                    )
                }
            });
        said.set(Some(outcome));
    };
    let check_again = move |_| {
        spawn_local(async move {
            lab.check_integrity().await;
            lab.reload().await;
        });
    };
    move || {
        let report = lab.integrity.get()?;
        let more = report.problems.len().saturating_sub(LISTED);
        let problems = report
            .problems
            .iter()
            .take(LISTED)
            .map(|p| view! { <li>{p.to_string()}</li> })
            .collect_view();
        Some(view! {
            <section class="banner error integrity" role="alert" aria-labelledby="integrity-title" data-testid="integrity">
                <h2 id="integrity-title">"Damaged records in the event store"</h2>
                <p data-testid="integrity-summary">{report.summary()}</p>
                <ul>
                    {problems}
                    {(more > 0).then(|| view! { <li>{format!("… and {more} more.")}</li> })}
                </ul>
                <p>
                    "Events are facts: the lab does not edit or delete stored events on its own, so it leaves this as it is. Save what is readable, then Reset the lab and import the saved file."
                </p>
                <div class="actions">
                    <button on:click=export>"Export what is readable"</button>
                    <button class="quiet" on:click=check_again>"Check again"</button>
                </div>
                {move || said.get().map(|r| match r {
                    Ok(text) => view! { <p role="status" data-testid="integrity-export">{text}</p> }.into_any(),
                    Err(text) => view! { <p role="alert">{text}</p> }.into_any(),
                })}
            </section>
        })
    }
}
