//! A view whose code loads when it is first opened (see `crate::lazy`): a short "Opening…" while
//! its part of the app is fetched, then the view; when the fetch fails (the venue's Wi-Fi
//! dropped), a message and a "Try again" button that fetches it afresh, so the page never dies.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::future::Future;
use std::pin::Pin;

/// A view's code could not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkFailed;

#[cfg(foldlab_split)]
impl From<wasm_split_helpers::SplitLoaderError> for ChunkFailed {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        ChunkFailed
    }
}

/// What loading a lazy view gives: the view, or [`ChunkFailed`].
pub type Loaded = Result<AnyView, ChunkFailed>;

/// Fetches a lazy view's code and builds the view: `|| Box::pin(crate::lazy::events())`. One
/// type for every lazy view, so [`Lazy`]'s code is in the first download once, not once a view.
pub type Load = fn() -> Pin<Box<dyn Future<Output = Loaded>>>;

/// Shows what `load` gives, fetching it again each time the user asks after a failure. `failed`
/// heads the message when the fetch fails (by default, "This view could not be opened").
#[component]
pub fn Lazy(
    load: Load,
    #[prop(default = "This view could not be opened")] failed: &'static str,
) -> impl IntoView {
    let attempt = RwSignal::new(0_u32);
    let opening = || {
        view! {
            <p class="chunk-opening" role="status">
                "Opening…"
            </p>
        }
    };
    view! {
        <Suspense fallback=opening>
            {move || {
                attempt.track();
                Suspend::new(
                    SendWrapper::new(async move {
                        match load().await {
                            Ok(view) => view,
                            Err(ChunkFailed) => {
                                view! { <ChunkError failed retry=move || attempt.update(|n| *n += 1) /> }
                                    .into_any()
                            }
                        }
                    }),
                )
            }}
        </Suspense>
    }
}

/// The message shown when a view's code could not be fetched.
#[component]
fn ChunkError(failed: &'static str, retry: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <section class="panel chunk-error" role="alert" aria-labelledby="chunk-error-title">
            <h2 id="chunk-error-title">{failed}</h2>
            <p>
                "Part of Foldlab could not be downloaded. Check the connection, then try again. Your lab data is kept."
            </p>
            <button type="button" on:click=move |_| retry()>
                "Try again"
            </button>
        </section>
    }
}
