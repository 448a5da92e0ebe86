//! How tabs learn of each other's writes without a reload: every handle on a browser store opens a
//! `BroadcastChannel` named after its storage and, after each committed write, posts a small
//! [`Change`] there. The other handles on the same storage (other tabs, or a second handle in the
//! same page) receive it, tell their [`Notifier`]'s listeners the new head after an append, and
//! call their change listeners.
//!
//! The browser never delivers a post to the channel object that sent it, so a handle hears its own
//! appends once, from its own notifier; the message also carries the sender's id, which is checked
//! anyway. A browser without `BroadcastChannel` gets no notification and no error.

use super::global_property;
use crate::notify::{Change, ChangeListener, Notifier};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

/// What travels on the channel, as JSON text: the changes one write committed (one for most
/// writes, one per member of a group commit), so a transaction costs one post whatever it holds.
/// The changes are a field of their own, not flattened into the message: reading a flattened
/// field buffers the whole message first, and that code would be in the app's first download.
#[derive(Serialize, Deserialize)]
struct Message {
    /// The posting handle's id.
    from: String,
    changes: Vec<Change>,
}

/// One handle's end of the channel of its storage.
pub(super) struct Channel {
    /// `None` when the browser has no `BroadcastChannel` (or refused to open one).
    channel: Option<BroadcastChannel>,
    /// This handle's id, unique in practice across tabs.
    id: String,
    listeners: Rc<RefCell<Vec<ChangeListener>>>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl Channel {
    /// Opens the channel `name` (one per storage: the backend is part of the name, so an IndexedDB
    /// database and localStorage keys of the same name do not hear each other). `notifier` hears
    /// the new head of every append another handle posts.
    pub(super) fn open(name: &str, notifier: Notifier) -> Self {
        let id = format!(
            "{:x}-{:x}",
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 1e15) as u64
        );
        let listeners: Rc<RefCell<Vec<ChangeListener>>> = Rc::default();
        let channel = global_property::<js_sys::Function>("BroadcastChannel")
            .ok()
            .and_then(|_| BroadcastChannel::new(&format!("foldlab-store:{name}")).ok());
        let Some(channel) = channel else {
            return Self {
                channel: None,
                id,
                listeners,
                _on_message: None,
            };
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let id = id.clone();
            let listeners = Rc::clone(&listeners);
            move |event: MessageEvent| {
                // Anything else on the channel (another program, a future format) is ignored.
                let Some(text) = event.data().as_string() else {
                    return;
                };
                let Ok(message) = serde_json::from_str::<Message>(&text) else {
                    return;
                };
                if message.from == id {
                    return;
                }
                for change in &message.changes {
                    if let Change::Appended { head, .. } = change {
                        notifier.notify(*head);
                    }
                    Channel::tell_here(&listeners, change);
                }
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self {
            channel: Some(channel),
            id,
            listeners,
            _on_message: Some(on_message),
        }
    }

    /// Tells the other handles what this one committed. Best effort: a post that fails (a closed
    /// channel) changes nothing stored, so it is not an error.
    pub(super) fn post(&self, change: Change) {
        self.post_all(vec![change]);
    }

    /// Tells the other handles every change one transaction committed, in one post.
    pub(super) fn post_all(&self, changes: Vec<Change>) {
        let Some(channel) = &self.channel else {
            return;
        };
        if changes.is_empty() {
            return;
        }
        let message = Message {
            from: self.id.clone(),
            changes,
        };
        if let Ok(text) = serde_json::to_string(&message) {
            let _ = channel.post_message(&JsValue::from_str(&text));
        }
    }

    /// Adds a listener for the changes other handles post.
    pub(super) fn on_external_change(&self, listener: ChangeListener) {
        self.listeners.borrow_mut().push(listener);
    }

    /// Tells this handle's own change listeners of `change`, without posting it: for what
    /// happened to this handle alone (its connection closed from outside).
    pub(super) fn tell_here(listeners: &Rc<RefCell<Vec<ChangeListener>>>, change: &Change) {
        // Copied first, so a listener may add others.
        let listeners: Vec<ChangeListener> = listeners.borrow().clone();
        for listener in listeners {
            listener(change);
        }
    }

    /// This handle's change listeners, for a callback that outlives a borrow of the channel.
    pub(super) fn listeners(&self) -> Rc<RefCell<Vec<ChangeListener>>> {
        Rc::clone(&self.listeners)
    }

    /// Whether posts reach other handles (the browser has `BroadcastChannel`).
    pub(super) fn is_open(&self) -> bool {
        self.channel.is_some()
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
