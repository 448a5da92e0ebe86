//! Sharing: export the whole lab as a file and import one again, run a scenario file in the lab,
//! and copy a link that reproduces a scenario (carried in the link's fragment, `#scenario=…`,
//! which this page reads on load and offers to run). Every refusal says what is wrong and leaves
//! the lab untouched; everything read from a file is shown as text.

use crate::address::href;
use crate::lab::lessons::{describe, outcome, Progress};
use crate::lab::sharing::CheckedImport;
use crate::lab::Lab;
use foldlab_lab::counted;
use foldlab_lab::scenario::Scenario;
use foldlab_lab::sharing::{
    base64url, read_scenario, ImportError, MAX_LAB_FILE_BYTES, MAX_SCENARIO_BYTES,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;

/// The fragment a scenario link carries its scenario in.
const FRAGMENT: &str = "#scenario=";

/// The full address of `path` in this site (`https://host/foldlab/lessons/x`).
pub fn site_url(path: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{}", href(path))
}

/// Copies `link` to the clipboard and says whether it worked in `said`.
pub fn copy_link(link: String, said: RwSignal<Option<String>>) {
    spawn_local(async move {
        let Some(window) = web_sys::window() else {
            return;
        };
        let copied = JsFuture::from(window.navigator().clipboard().write_text(&link)).await;
        said.set(Some(match copied {
            Ok(_) => "The link is copied.".to_string(),
            Err(_) => {
                "This browser did not allow copying: select the link and copy it.".to_string()
            }
        }));
    });
}

/// The text of the file chosen in `input`, refused unread when it is over `limit` bytes. The input
/// is emptied, so the same file can be chosen again.
async fn read_chosen(input: &HtmlInputElement, limit: usize) -> Result<Option<String>, String> {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(None);
    };
    input.set_value("");
    let bytes = file.size() as usize;
    if bytes > limit {
        return Err(ImportError::TooLarge { bytes, limit }.to_string());
    }
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| "The file could not be read.".to_string())?;
    Ok(Some(text.as_string().unwrap_or_default()))
}

fn refused(why: &str) -> String {
    format!("Refused. {why} The current lab is untouched.")
}

/// A scenario read from a file or a link, ready to run.
#[derive(Clone)]
struct Loaded {
    scenario: Scenario,
    /// The scenario as compact JSON, for its link.
    json: String,
    /// Where it came from, for people.
    from: String,
}

fn loaded(text: &str, from: String) -> Result<Loaded, String> {
    let scenario = read_scenario(text).map_err(|e| e.to_string())?;
    let json = serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())?;
    Ok(Loaded {
        scenario,
        json,
        from,
    })
}

/// The scenario a link's fragment carries, if it carries one.
fn from_fragment() -> Option<Result<Loaded, String>> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let encoded = hash.strip_prefix(FRAGMENT)?;
    Some(
        base64url::decode(encoded)
            .map_err(|e| format!("The link's scenario cannot be read: {e}."))
            .and_then(|bytes| {
                String::from_utf8(bytes).map_err(|_| "The link's scenario is not text.".to_string())
            })
            .and_then(|text| loaded(&text, "a link".to_string())),
    )
}

/// The Share page.
#[component]
pub fn Share() -> impl IntoView {
    view! {
        <div class="share-page">
            <ScenarioFile />
            <ExportLab />
            <ImportLab />
        </div>
    }
}

#[component]
fn ExportLab() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let said = RwSignal::new(None::<Result<String, String>>);
    let export = move |_| {
        spawn_local(async move {
            said.set(Some(match lab.export_text().await {
                Ok((text, file)) => download(&text).map(|name| {
                    format!(
                        "Saved {name}: {}, {}, {}, {}, format version {}.",
                        counted(file.events.len() as u64, "event", "events"),
                        counted(file.checkpoints.len() as u64, "checkpoint", "checkpoints"),
                        counted(file.snapshots.len() as u64, "snapshot", "snapshots"),
                        counted(
                            file.journal.len() as u64,
                            "journal entry",
                            "journal entries"
                        ),
                        file.format_version
                    )
                }),
                Err(e) => Err(e),
            }));
        });
    };
    view! {
        <section class="panel" aria-labelledby="export-title">
            <h2 id="export-title">"Export the lab"</h2>
            <p class="hint">
                "One JSON file with everything this lab holds: the events, every checkpoint, the snapshots, the snapshot policy and which projections are paused, and the journal of deliveries."
            </p>
            <button on:click=export disabled=move || lab.busy.get()>"Export lab file"</button>
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" role="status">{m}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
        </section>
    }
}

/// Offers `text` as a downloaded file; returns its name.
fn download(text: &str) -> Result<String, String> {
    download_as(text, "foldlab-lab")
}

/// Offers `text` as a downloaded JSON file named `<stem>-<date>.json`; returns its name.
pub(crate) fn download_as(text: &str, stem: &str) -> Result<String, String> {
    let fail = |_| "The browser would not save the file.".to_string();
    let window = web_sys::window().ok_or("There is no window.")?;
    let document = window.document().ok_or("There is no document.")?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let date = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let name = format!("{stem}-{}.json", date.get(..10).unwrap_or("export"));
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    link.set_href(&url);
    link.set_download(&name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(name)
}

#[component]
fn ImportLab() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let checked = RwSignal::new(None::<CheckedImport>);
    let said = RwSignal::new(None::<Result<String, String>>);
    let checking = RwSignal::new(false);
    let chosen = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        checked.set(None);
        said.set(None);
        checking.set(true);
        spawn_local(async move {
            let result = match read_chosen(&input, MAX_LAB_FILE_BYTES).await {
                Ok(Some(text)) => lab.check_import(&text).await.map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match result {
                Ok(found) => checked.set(found),
                Err(e) => said.set(Some(Err(refused(&e)))),
            }
            checking.set(false);
        });
    };
    let replace = move |_| {
        let Some(import) = checked.get_untracked() else {
            return;
        };
        checked.set(None);
        spawn_local(async move {
            let result = lab.import(import).await;
            if result.is_ok() {
                // The lab is no longer a lesson's.
                Progress::clear();
            }
            said.set(Some(result));
        });
    };
    view! {
        <section class="panel" aria-labelledby="import-title">
            <h2 id="import-title">"Import a lab file"</h2>
            <p class="hint">
                {format!(
                    "A file exported from Foldlab, up to {} MB. It is checked completely before anything changes: its size and nesting before it is read, then its format version and shape, every name and id (no markup or script), and whether its events fold. Only then are you asked to replace the lab.",
                    MAX_LAB_FILE_BYTES / (1024 * 1024)
                )}
            </p>
            <label class="file">
                "Lab file to import"
                <input type="file" accept=".json,application/json" on:change=chosen disabled=move || lab.busy.get() />
            </label>
            <Show when=move || checking.get()>
                <p class="waiting" role="status">"Checking the file…"</p>
            </Show>
            {move || checked.get().map(|import| {
                let n = lab.readout.with(|s| s.events.len());
                view! {
                    <div role="group" aria-label="Confirm import" class="confirm">
                        <span>
                            {format!(
                                "The file is a valid lab with {}. Replace the current lab ({}) with it?",
                                counted(import.file.events.len() as u64, "event", "events"),
                                counted(n as u64, "event", "events")
                            )}
                        </span>
                        <button class="danger" on:click=replace disabled=move || lab.busy.get()>"Replace the lab"</button>
                        <button on:click=move |_| checked.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" role="status">{m}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="import-error">{e}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ScenarioFile() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let current = RwSignal::new(None::<Loaded>);
    let said = RwSignal::new(None::<Result<String, String>>);
    let confirming = RwSignal::new(false);
    let results = RwSignal::new(Vec::<(String, String)>::new());
    let copied = RwSignal::new(None::<String>);
    match from_fragment() {
        Some(Ok(found)) => current.set(Some(found)),
        Some(Err(e)) => said.set(Some(Err(refused(&e)))),
        None => {}
    }
    let chosen = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        said.set(None);
        results.set(Vec::new());
        spawn_local(async move {
            let name = input
                .files()
                .and_then(|f| f.get(0))
                .map(|f| f.name())
                .unwrap_or_default();
            match read_chosen(&input, MAX_SCENARIO_BYTES).await {
                Ok(Some(text)) => match loaded(&text, format!("the file {name}")) {
                    Ok(found) => current.set(Some(found)),
                    Err(e) => said.set(Some(Err(refused(&e)))),
                },
                Ok(None) => {}
                Err(e) => said.set(Some(Err(refused(&e)))),
            }
        });
    };
    let run = move || {
        confirming.set(false);
        let Some(found) = current.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let steps = &found.scenario.steps;
            match lab.start_scenario(&found.scenario.settings, steps).await {
                Ok(got) => {
                    Progress::clear();
                    let refusals = got.iter().flat_map(|r| r.errors()).count();
                    results.set(
                        steps
                            .iter()
                            .zip(&got)
                            .map(|(s, r)| (describe(s), outcome(r)))
                            .collect(),
                    );
                    said.set(Some(Ok(format!(
                        "Ran \u{201c}{}\u{201d}: {} steps, {refusals} refused. The lab now holds its run.",
                        found.scenario.name,
                        steps.len()
                    ))));
                }
                Err(e) => said.set(Some(Err(e))),
            }
        });
    };
    let ask = move |_| {
        if lab.readout.with_untracked(|s| s.events.is_empty()) {
            run();
        } else {
            confirming.set(true);
        }
    };
    view! {
        <section class="panel" aria-labelledby="scenario-title">
            <h2 id="scenario-title">"Run a scenario file"</h2>
            <p class="hint">
                "A scenario is a run of the lab written down as JSON (the format is in scenarios/README.md). Running one resets the lab and carries its steps out against the lab's own store. Its link carries the whole scenario, so whoever opens it can run the same."
            </p>
            <label class="file">
                "Scenario file to load"
                <input type="file" accept=".json,application/json" on:change=chosen disabled=move || lab.busy.get() />
            </label>
            {move || current.get().map(|found| {
                let link = site_url(&format!("/share{FRAGMENT}{}", base64url::encode(found.json.as_bytes())));
                let copy = link.clone();
                view! {
                    <article class="card loaded" aria-label="Loaded scenario">
                        <h3>{found.scenario.name.clone()}</h3>
                        <p class="hint">{format!("From {}; {} steps.", found.from, found.scenario.steps.len())}</p>
                        <p>{found.scenario.description.clone()}</p>
                        <div class="controls">
                            <button on:click=ask disabled=move || lab.busy.get()>"Run it in the lab"</button>
                        </div>
                        <div class="share-link">
                            <label for="scenario-link">"Link to this scenario"</label>
                            <div class="link-row">
                                <input id="scenario-link" readonly value=link />
                                <button on:click=move |_| copy_link(copy.clone(), copied)>"Copy link"</button>
                            </div>
                            {move || copied.get().map(|m| view! { <p class="hint" role="status">{m}</p> })}
                        </div>
                    </article>
                }
            })}
            <Show when=move || confirming.get()>
                <div role="group" aria-label="Confirm running the scenario" class="confirm">
                    <span>
                        {move || format!(
                            "Running it replaces the current lab: {} and every checkpoint are deleted first.",
                            lab.readout.with(|s| match s.events.len() {
                                1 => "its 1 event".to_string(),
                                n => format!("all {n} events"),
                            })
                        )}
                    </span>
                    <button class="danger" on:click=move |_| run() disabled=move || lab.busy.get()>"Reset the lab and run"</button>
                    <button on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || said.get().map(|r| match r {
                Ok(m) => view! { <p class="ok" role="status">{m}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
            <Show when=move || !results.with(Vec::is_empty)>
                <h3>"What ran"</h3>
                <ol class="ran">
                    {move || results.get().into_iter().map(|(what, came)| view! { <li>{what} <span class="came">{format!(" → {came}")}</span></li> }).collect_view()}
                </ol>
            </Show>
        </section>
    }
}
