//! Where each view lives: the base path the page was built for (`/` locally, `/foldlab/` on GitHub
//! Pages, read from the `<base href>` Trunk writes into index.html), links under it, and a view's
//! place kept in the address.

/// The base path without its trailing slash (`""` at the site root), as the router wants it.
pub fn base_path() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .and_then(|uri| web_sys::Url::new(&uri).ok())
        .map(|url| url.pathname())
        .unwrap_or_default();
    base.trim_end_matches('/').to_string()
}

/// An in-app link target: `path` (starting with `/`) under the base path. The router's `<A>`
/// passes absolute paths through as they are, so the base must be added here.
pub fn href(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// Puts `query` (`?step=3`) in the address of the route `path` (`/choreography`) unless it is there
/// already, replacing the history entry, so a reload or a copied link returns to the same place.
pub fn keep_query(
    navigate: &impl Fn(&str, leptos_router::NavigateOptions),
    path: &str,
    query: &str,
) {
    let current = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    if current != query {
        navigate(
            &format!("{path}{query}"),
            leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}
