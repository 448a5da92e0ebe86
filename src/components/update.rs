//! Offline after one visit: once the lab is ready (on any page but the benchmark's), the page
//! registers the service worker that `cargo xtask build` wrote (`sw.js`, which caches the whole
//! build) and links the web app manifest; when a new version has been cached it says so, with a
//! button that brings it in.
//!
//! Registering only after the lab is ready (with code fetched then, see `crate::lazy`) keeps the
//! first visit's download before the first command what it was: the worker caches the build in
//! the background afterwards. The manifest is linked then too, rather than in index.html, for the
//! same reason (Chromium fetches a linked manifest and its icons at once) and because only a build
//! that wrote a worker has one. The page never reloads by itself (a teacher may be mid-lesson):
//! only the button does.
//!
//! Only a release build registers: `cargo xtask serve` is a debug build, and its page takes away
//! any worker left at its address by a release build served there, so development always sees
//! the files it just built.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RegistrationOptions, ServiceWorkerContainer, ServiceWorkerRegistration};

use crate::address::Address;
use crate::lab::Lab;

/// The worker's and the manifest's files, next to index.html (see `xtask/src/offline.rs`).
const WORKER: &str = "sw.js";
const MANIFEST: &str = "manifest.webmanifest";
/// The benchmark page's path, where the worker is not registered.
const BENCH: &str = "/bench";
/// What the page tells a waiting worker to make it take over.
const SKIP_WAITING: &str = "skip-waiting";

/// What the banner offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Nothing new (or the learner said "Later").
    Nothing,
    /// A new version is cached and waiting: the button lets it take over, then reloads.
    Waiting,
    /// Another tab let the new version take over; this page still runs the old one.
    TookOver,
}

/// The banner saying a new version is ready, and the registration behind it. Mounted once, in the
/// app shell.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let lab = expect_context::<Lab>();
    let address = expect_context::<Address>();
    let offer = RwSignal::new(Offer::Nothing);
    let registration = StoredValue::new_local(None::<ServiceWorkerRegistration>);
    // Set when the learner pressed the button here, so only that reloads the page.
    let asked = StoredValue::new(false);
    let started = StoredValue::new(false);
    Effect::new(move |_| {
        // Not on the benchmark page: the worker's caching of the whole build (hundreds of files
        // written in the background) slowed the writes measured there, ours most. It registers
        // when the learner goes to another page.
        if !lab.ready.get() || started.get_value() || address.is_at(BENCH, true) {
            return;
        }
        started.set_value(true);
        spawn_local(async move {
            // A browser without service workers, or one that refuses them (a private window,
            // say), keeps working online: there is nothing to tell the learner. Nor is there
            // when the registration's own code could not be fetched: the next visit tries again.
            if let Ok(registering) = crate::lazy::register_worker(offer, registration, asked).await
            {
                let _ = registering.await;
            }
        });
    });
    let update = move |_| {
        asked.set_value(true);
        let waiting = registration.with_value(|r| r.as_ref().and_then(|r| r.waiting()));
        match (offer.get_untracked(), waiting) {
            (Offer::Waiting, Some(worker)) => {
                // The reload follows when it has taken over (`controllerchange`).
                if worker
                    .post_message(&JsValue::from_str(SKIP_WAITING))
                    .is_err()
                {
                    reload();
                }
            }
            _ => reload(),
        }
    };
    let later = move |_| offer.set(Offer::Nothing);
    move || {
        (offer.get() != Offer::Nothing).then(|| {
            view! {
                <div class="update" role="status" data-testid="update">
                    <p>
                        "A new version of Foldlab is ready. "
                        "Reloading keeps your events and your place in a lesson."
                    </p>
                    <div class="actions">
                        <button on:click=update>"Reload to update"</button>
                        <button class="quiet" on:click=later>"Later"</button>
                    </div>
                </div>
            }
        })
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// The page's service worker container, unless the browser has none here (no support, or not a
/// secure context).
fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let workers = js_sys::Reflect::get(&navigator, &"serviceWorker".into()).ok()?;
    (!workers.is_undefined()).then(|| navigator.service_worker())
}

/// The site's base URL (`http://…/foldlab/`), from the `<base href>` Trunk writes.
fn base() -> Option<String> {
    web_sys::window()?.document()?.base_uri().ok()?
}

/// Registers the worker and watches for a new version (called through `crate::lazy`, so its code
/// is not in the first download).
pub async fn register(
    offer: RwSignal<Offer>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
    asked: StoredValue<bool>,
) -> Result<(), JsValue> {
    let (Some(container), Some(base)) = (container(), base()) else {
        return Ok(());
    };
    if cfg!(debug_assertions) {
        return forget_worker(&container, &base).await;
    }
    let script = web_sys::Url::new_with_base(WORKER, &base)?.href();
    let options = RegistrationOptions::new();
    options.set_scope(&base);
    let registered: ServiceWorkerRegistration =
        JsFuture::from(container.register_with_options(&script, &options))
            .await?
            .dyn_into()?;
    // The build wrote a worker, so it wrote the manifest too: the site can now be installed.
    link_manifest()?;
    registration.set_value(Some(registered.clone()));

    // A new version waits only when an older one runs this page; on the first visit the worker
    // caches the build and starts without asking.
    let offer_if_running = {
        let container = container.clone();
        move || {
            if container.controller().is_some() {
                offer.set(Offer::Waiting);
            }
        }
    };
    if registered.waiting().is_some() {
        offer_if_running();
    }
    let watch = {
        let registered = registered.clone();
        move || {
            let Some(installing) = registered.installing() else {
                return;
            };
            let worker = installing.clone();
            let offer_if_running = offer_if_running.clone();
            let installed = Closure::<dyn FnMut()>::new(move || {
                if worker.state() == web_sys::ServiceWorkerState::Installed {
                    offer_if_running();
                }
            });
            installing.set_onstatechange(Some(installed.as_ref().unchecked_ref()));
            installed.forget();
        }
    };
    // The browser looks for a new version at each page load (and may have begun already).
    watch();
    let found = Closure::<dyn FnMut()>::new(watch);
    registered.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
    found.forget();

    let took_over = Closure::<dyn FnMut()>::new(move || {
        if asked.get_value() {
            reload();
        } else {
            offer.set(Offer::TookOver);
        }
    });
    container.set_oncontrollerchange(Some(took_over.as_ref().unchecked_ref()));
    took_over.forget();
    Ok(())
}

/// Adds `<link rel="manifest">` to the head.
fn link_manifest() -> Result<(), JsValue> {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return Ok(());
    };
    let Some(head) = document.head() else {
        return Ok(());
    };
    if head.query_selector("link[rel=manifest]")?.is_some() {
        return Ok(());
    }
    let link = document.create_element("link")?;
    link.set_attribute("rel", "manifest")?;
    link.set_attribute("href", MANIFEST)?;
    head.append_child(&link)?;
    Ok(())
}

/// Development: unregisters a worker that a release build served at this address left behind.
async fn forget_worker(container: &ServiceWorkerContainer, base: &str) -> Result<(), JsValue> {
    let found = JsFuture::from(container.get_registration_with_document_url(base)).await?;
    if let Ok(registration) = found.dyn_into::<ServiceWorkerRegistration>() {
        JsFuture::from(registration.unregister()?).await?;
    }
    Ok(())
}
