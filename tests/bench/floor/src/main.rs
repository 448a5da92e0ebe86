//! The floor of the first download (`cargo xtask bench`, figure g0): the smallest app that does
//! what the lab must do before it takes a command, and nothing else. It routes between a start
//! page and a lab page as the app does (the History API, no router crate), opens the store the lab opens (IndexedDB, else
//! localStorage) behind the same fault switch, builds the same engine, and creates a customer
//! from a two-field form. No tables, no projections, no stylesheet: what it weighs is what any
//! first view of the lab built on these crates weighs at least. The benchmark serves it under
//! `/foldlab/`, as the site is, and `tests/bench/download.mjs` measures its first visit and sends
//! it a command (the figure counts only if the command is stored).

#[cfg(target_arch = "wasm32")]
mod app {
    use foldlab_domain::ids::CustomerId;
    use foldlab_domain::money::Money;
    use foldlab_engine::Engine;
    use foldlab_store::{open_browser_store, BrowserStore, FaultSwitch};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use std::rc::Rc;

    type FloorEngine = Engine<FaultSwitch<BrowserStore>>;

    /// Where the benchmark serves the floor (the site's Pages sub-path).
    const BASE: &str = "/foldlab";

    /// Whether the address is the lab's.
    fn at_lab() -> bool {
        web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .is_some_and(|p| p.trim_end_matches('/') == format!("{BASE}/lab"))
    }

    #[component]
    fn Start(lab: RwSignal<bool>) -> impl IntoView {
        let open = move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.push_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&format!("{BASE}/lab")),
                );
            }
            lab.set(true);
        };
        view! {
            <h2>"Start here"</h2>
            <a href=format!("{BASE}/lab") on:click=open>"Open the lab"</a>
        }
    }

    #[component]
    fn Lab() -> impl IntoView {
        let engine: StoredValue<Option<Rc<FloorEngine>>, LocalStorage> =
            StoredValue::new_local(None);
        let said = RwSignal::new(String::from("Opening the store…"));
        let name = RwSignal::new(String::new());
        let limit = RwSignal::new(String::from("100.00"));
        spawn_local(async move {
            let (store, _) = open_browser_store("foldlab-floor").await;
            let clock = Box::new(|| js_sys::Date::now() as i64);
            engine.set_value(Some(Rc::new(Engine::new(FaultSwitch::new(store), clock))));
            said.set("Ready.".into());
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-lab", "ready");
            }
        });
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(engine) = engine.get_value() else {
                return;
            };
            let limit = match Money::parse(&limit.get_untracked()) {
                Ok(limit) => limit,
                Err(error) => return said.set(error.to_string()),
            };
            let name = name.get_untracked();
            spawn_local(async move {
                let id = CustomerId::new(uuid::Uuid::new_v4().to_string());
                let correlation = uuid::Uuid::new_v4().to_string();
                match engine
                    .create_customer(&id, &name, limit, &correlation)
                    .await
                {
                    Ok(stored) => said.set(format!("Stored {} event(s).", stored.len())),
                    Err(error) => said.set(error.to_string()),
                }
            });
        };
        view! {
            <form on:submit=submit aria-label="Create a customer">
                <label>"Name" <input bind:value=name /></label>
                <label>"Credit limit ($)" <input bind:value=limit /></label>
                <button>"Create customer"</button>
            </form>
            <p role="status">{move || said.get()}</p>
        }
    }

    #[component]
    fn App() -> impl IntoView {
        let lab = RwSignal::new(at_lab());
        let _ = window_event_listener(leptos::ev::popstate, move |_| lab.set(at_lab()));
        move || {
            if lab.get() {
                view! { <Lab /> }.into_any()
            } else {
                view! { <Start lab /> }.into_any()
            }
        }
    }

    pub fn mount() {
        leptos::mount::mount_to_body(App);
    }
}

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::mount();
}
