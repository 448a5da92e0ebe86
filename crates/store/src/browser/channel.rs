//! How tabs learn of each other's writes without a reload: every handle on a browser store opens a
//! `BroadcastChannel` named after its storage and, after each committed write, posts a small
//! [`Change`] there. The other handles on the same storage (other tabs, or a second handle in the
//! same page) receive it, tell their [`Notifier`]'s listeners the new head after an append, and
//! call their change listeners.
//!
//! The browser never delivers a post to the channel object that sent it, so a handle hears its own
//! appends once, from its own notifier; the message also carries the sender's id, which is checked
//! anyway. A browser without `BroadcastChannel` gets no notification and no error.
//!
//! A post costs the page more than a small write does (tens of microseconds in Chromium), so the
//! changes of writes committed close together share one: a write that comes at least
//! [`GATHER_MS`] after the last post is posted at once; one that comes sooner waits, with those
//! after it, for a timer that posts them all at most [`GATHER_MS`] after the last post (or for
//! the next write after that moment, whichever comes first). The order of the changes is kept.

use super::global_property;
use crate::notify::{Change, ChangeListener, Notifier};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

/// How long after a post the next one may follow (see the module's introduction): other tabs hear
/// a write at most this much later, which no one sees, and a command made many times a second
/// pays for a fraction of a post each.
const GATHER_MS: f64 = 4.0;

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
    /// The changes committed and not posted yet, and when the last post was made.
    outbox: Rc<Outbox>,
    /// Posts the outbox when the timer set for it fires; `None` without `setTimeout` (then every
    /// change is posted at once).
    timer: Option<Timer>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

/// The changes waiting for the next post (see the module's introduction).
#[derive(Default)]
struct Outbox {
    changes: RefCell<Vec<Change>>,
    /// When the last post was made (`Date.now()`, in ms).
    posted_at: Cell<f64>,
    /// A timer is set to post the outbox.
    timer_set: Cell<bool>,
}

/// `setTimeout` and the callback it is given, made once.
struct Timer {
    set_timeout: js_sys::Function,
    on_timer: Closure<dyn FnMut()>,
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
        let outbox: Rc<Outbox> = Rc::default();
        let Some(channel) = channel else {
            return Self {
                channel: None,
                id,
                listeners,
                outbox,
                timer: None,
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
        let timer = global_property::<js_sys::Function>("setTimeout")
            .ok()
            .map(|set_timeout| Timer {
                set_timeout,
                on_timer: Closure::<dyn FnMut()>::new({
                    let channel = channel.clone();
                    let id = id.clone();
                    let outbox = Rc::clone(&outbox);
                    move || {
                        outbox.timer_set.set(false);
                        outbox.post(&channel, &id);
                    }
                }),
            });
        Self {
            channel: Some(channel),
            id,
            listeners,
            outbox,
            timer,
            _on_message: Some(on_message),
        }
    }

    /// Tells the other handles what this one committed. Best effort: a post that fails (a closed
    /// channel) changes nothing stored, so it is not an error.
    pub(super) fn post(&self, change: Change) {
        self.post_all(vec![change]);
    }

    /// Tells the other handles every change one transaction committed: at once, or with the
    /// changes of the writes that follow within [`GATHER_MS`] of the last post (see the module's
    /// introduction).
    pub(super) fn post_all(&self, changes: Vec<Change>) {
        let Some(channel) = &self.channel else {
            return;
        };
        if changes.is_empty() {
            return;
        }
        self.outbox.changes.borrow_mut().extend(changes);
        let since = js_sys::Date::now() - self.outbox.posted_at.get();
        match &self.timer {
            // A clock set back counts as long ago.
            Some(timer) if (0.0..GATHER_MS).contains(&since) => {
                if !self.outbox.timer_set.replace(true) {
                    let delay = JsValue::from_f64(GATHER_MS - since);
                    let set = timer.set_timeout.call2(
                        &JsValue::NULL,
                        timer.on_timer.as_ref().unchecked_ref(),
                        &delay,
                    );
                    if set.is_err() {
                        self.outbox.timer_set.set(false);
                        self.outbox.post(channel, &self.id);
                    }
                }
            }
            _ => self.outbox.post(channel, &self.id),
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

impl Outbox {
    /// Posts every change waiting, in one message.
    fn post(&self, channel: &BroadcastChannel, from: &str) {
        let changes = std::mem::take(&mut *self.changes.borrow_mut());
        if changes.is_empty() {
            return;
        }
        self.posted_at.set(js_sys::Date::now());
        let message = Message {
            from: from.to_owned(),
            changes,
        };
        if let Ok(text) = serde_json::to_string(&message) {
            let _ = channel.post_message(&JsValue::from_str(&text));
        }
    }
}

impl Drop for Channel {
    /// Posts what is still waiting (a handle dropped just after a write), then closes.
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            self.outbox.post(channel, &self.id);
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
