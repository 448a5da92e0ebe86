//! The browser's side of [`foldlab_lab::quota`]: asking to keep the lab's storage for good, and
//! reading how much of the quota it uses. Browsers without the Storage API answer `None`.

use foldlab_lab::quota::StorageUse;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{StorageEstimate, StorageManager};

fn manager() -> Option<StorageManager> {
    let navigator = web_sys::window()?.navigator();
    // Older engines, and pages that are not a secure context, have no navigator.storage.
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok()?;
    (!storage.is_undefined()).then(|| navigator.storage())
}

/// Asks the browser to keep this site's storage until the user clears it. Chromium and Safari
/// decide by themselves; Firefox asks the user once. Returns whether it is kept.
pub async fn ask_to_keep() -> Option<bool> {
    let manager = manager()?;
    if JsFuture::from(manager.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
        == Some(true)
    {
        return Some(true);
    }
    JsFuture::from(manager.persist().ok()?)
        .await
        .ok()?
        .as_bool()
}

/// How much this site stores, of how much, and whether it is kept for good.
pub async fn measure() -> Option<StorageUse> {
    let manager = manager()?;
    let estimate: StorageEstimate = JsFuture::from(manager.estimate().ok()?)
        .await
        .ok()?
        .unchecked_into();
    let persisted = JsFuture::from(manager.persisted().ok()?)
        .await
        .ok()?
        .as_bool()?;
    Some(StorageUse {
        usage_bytes: estimate.get_usage()? as u64,
        quota_bytes: estimate.get_quota()? as u64,
        persisted,
    })
}
