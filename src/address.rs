//! Where each view lives: the base path the page was built for (`/` locally, `/foldlab/` on GitHub
//! Pages, read from the `<base href>` Trunk writes into index.html), links under it, the address
//! the views follow, and a view's place kept in the address.
//!
//! Foldlab's routes are a dozen fixed paths, so it follows the address itself instead of with a
//! router crate: a link within the app changes the address with the History API, and the browser's
//! back and forward buttons change it back. Leptos's router weighed about 40 KB of the first
//! download's code for what these few functions do.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The base path without its trailing slash (`""` at the site root).
pub fn base_path() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .and_then(|uri| web_sys::Url::new(&uri).ok())
        .map(|url| url.pathname())
        .unwrap_or_default();
    base.trim_end_matches('/').to_string()
}

/// An in-app link target: `path` (starting with `/`) under the base path.
pub fn href(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// The address the views follow: its path under the base path (`/lab`, `/lessons/happy_path`;
/// `/` for the start page), or `None` when the page is not under the base path at all.
#[derive(Clone, Copy)]
pub struct Address {
    path: RwSignal<Option<String>>,
}

impl Address {
    /// Reads the address bar, then follows it: links within the app are opened here, without
    /// loading the page again, and the back and forward buttons come back to the views.
    pub fn follow() -> Self {
        let address = Address {
            path: RwSignal::new(current_path()),
        };
        // For the page's whole life (the shell is never unmounted), so the handles are not kept.
        let _ = window_event_listener(ev::popstate, move |_| address.sync());
        let _ = window_event_listener(ev::click, move |event| address.on_click(&event));
        address
    }

    /// Reads `f` of the path, as a signal, without copying it.
    pub fn with_path<T>(&self, f: impl FnOnce(Option<&str>) -> T) -> T {
        self.path.with(|p| f(p.as_deref()))
    }

    /// Whether the path is `to` (`exact`) or lies under it (`/lessons` for `/lessons/happy_path`).
    pub fn is_at(&self, to: &str, exact: bool) -> bool {
        self.with_path(|path| {
            path.is_some_and(|p| {
                p == to || (!exact && p.strip_prefix(to).is_some_and(|r| r.starts_with('/')))
            })
        })
    }

    /// The signal takes the address bar's path, when it has changed.
    fn sync(&self) {
        let now = current_path();
        if self.path.with_untracked(|p| *p != now) {
            self.path.set(now);
        }
    }

    /// Opens a link within the app here; any other link, and any click meant for a new tab or
    /// window, is left to the browser.
    fn on_click(&self, event: &web_sys::MouseEvent) {
        if event.default_prevented()
            || event.button() != 0
            || event.meta_key()
            || event.alt_key()
            || event.ctrl_key()
            || event.shift_key()
        {
            return;
        }
        let Some(link) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        if !link.target().is_empty() || link.has_attribute("download") {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let to = web_sys::Url::new(&link.href()).ok();
        let (Some(to), Ok(origin), Ok(path), Ok(search), Ok(history)) = (
            to,
            location.origin(),
            location.pathname(),
            location.search(),
            window.history(),
        ) else {
            return;
        };
        let base = base_path();
        let inside = to.pathname() == base || to.pathname().starts_with(&format!("{base}/"));
        let here = to.pathname() == path && to.search() == search;
        // A link to a place on this same page (the skip link) is the browser's to follow.
        if to.origin() != origin || !inside || (here && !to.hash().is_empty()) {
            return;
        }
        event.prevent_default();
        let target = format!("{}{}{}", to.pathname(), to.search(), to.hash());
        // A link to the view already open adds no step for Back to undo.
        let written = if here {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&target))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&target))
        };
        if written.is_err() {
            location.set_href(&target).ok();
            return;
        }
        self.sync();
        scroll_to(&to.hash());
    }
}

/// The address bar's path under the base path.
fn current_path() -> Option<String> {
    let path = web_sys::window()?.location().pathname().ok()?;
    let under = path.strip_prefix(&base_path())?;
    match under.trim_end_matches('/') {
        "" => Some("/".to_string()),
        rest if rest.starts_with('/') => Some(rest.to_string()),
        _ => None,
    }
}

/// After a link opened a view: the top of the page, or the element the link's `#hash` names.
fn scroll_to(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let target = hash
        .strip_prefix('#')
        .filter(|id| !id.is_empty())
        .and_then(|id| window.document()?.get_element_by_id(id));
    match target {
        Some(element) => element.scroll_into_view(),
        None => window.scroll_to_with_x_and_y(0.0, 0.0),
    }
}

/// The value of `name` in the address bar's query (`?step=3`), as the page opened or a link
/// within the app left it.
pub fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Puts `query` (`?step=3`) in the address of the route `path` (`/choreography`) unless it is there
/// already, replacing the history entry, so a reload or a copied link returns to the same place.
/// Nothing is opened or scrolled: the view is already there.
pub fn keep_query(path: &str, query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // A view that is closing leaves the address of the one opening alone.
    if current_path().as_deref() != Some(path) {
        return;
    }
    let current = window.location().search().unwrap_or_default();
    if current != query {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{}{path}{query}", base_path())),
            );
        }
    }
}
