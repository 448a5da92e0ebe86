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
//! A post costs the page more than a small write does (tens of microseconds in Chromium), so it is
//! made after the write's caller has its answer, and the changes of writes committed close
//! together share one: a write that comes at least [`GATHER_MS`] after the last post is posted in
//! a microtask queued behind the caller's; one that comes sooner waits, with those after it, for
//! a timer that posts them all [`GATHER_MS`] after the last post (or for the first write after
//! that moment). The order of the changes is kept.

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

/// What travels on the channel, as JSON text: the changes of the writes committed since the last
/// post (one per append, one per member of a group commit), in the order they were committed.
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
    /// What posts the outbox later; `None` without `setTimeout` and `queueMicrotask` (then every
    /// change is posted at once).
    later: Option<Later>,
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
    /// A microtask is queued to post the outbox.
    queued: Cell<bool>,
}

/// The browser's `setTimeout` and `queueMicrotask`, and the callbacks given to them, made once.
/// The callbacks are owned by JavaScript, so one called after the handle is gone (a timer still
/// set) finds an empty outbox instead of a dropped closure.
struct Later {
    set_timeout: js_sys::Function,
    queue_microtask: js_sys::Function,
    on_timer: js_sys::Function,
    on_microtask: js_sys::Function,
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
                later: None,
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
        let later = Later::open(&channel, &id, &outbox);
        Self {
            channel: Some(channel),
            id,
            listeners,
            outbox,
            later,
            _on_message: Some(on_message),
        }
    }

    /// Tells the other handles what this one committed. Best effort: a post that fails (a closed
    /// channel) changes nothing stored, so it is not an error.
    pub(super) fn post(&self, change: Change) {
        self.post_all(vec![change]);
    }

    /// Tells the other handles every change one transaction committed, once the caller has its
    /// answer, with the changes of the writes that follow within [`GATHER_MS`] of the last post
    /// (see the module's introduction).
    pub(super) fn post_all(&self, changes: Vec<Change>) {
        let Some(channel) = &self.channel else {
            return;
        };
        if changes.is_empty() {
            return;
        }
        self.outbox.changes.borrow_mut().extend(changes);
        let Some(later) = &self.later else {
            return self.outbox.post(channel, &self.id);
        };
        let since = js_sys::Date::now() - self.outbox.posted_at.get();
        // A clock set back counts as long ago.
        let gathering = (0.0..GATHER_MS).contains(&since);
        let flag = match gathering {
            true => &self.outbox.timer_set,
            false => &self.outbox.queued,
        };
        if flag.replace(true) {
            // A post is on its way and takes these changes too.
            return;
        }
        let scheduled = match gathering {
            true => later.timer(GATHER_MS - since),
            false => later.microtask(),
        };
        if scheduled.is_err() {
            flag.set(false);
            self.outbox.post(channel, &self.id);
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

impl Later {
    /// `None` in a browser without `setTimeout` or `queueMicrotask`.
    fn open(channel: &BroadcastChannel, id: &str, outbox: &Rc<Outbox>) -> Option<Self> {
        let posting = |flag: fn(&Outbox) -> &Cell<bool>| {
            let (channel, id, outbox) = (channel.clone(), id.to_owned(), Rc::clone(outbox));
            Closure::<dyn FnMut()>::new(move || {
                flag(&outbox).set(false);
                outbox.post(&channel, &id);
            })
            .into_js_value()
            .unchecked_into::<js_sys::Function>()
        };
        Some(Self {
            set_timeout: global_property("setTimeout").ok()?,
            queue_microtask: global_property("queueMicrotask").ok()?,
            on_timer: posting(|outbox| &outbox.timer_set),
            on_microtask: posting(|outbox| &outbox.queued),
        })
    }

    /// Sets the timer that posts the outbox in `delay_ms`.
    fn timer(&self, delay_ms: f64) -> Result<JsValue, JsValue> {
        self.set_timeout
            .call2(&JsValue::NULL, &self.on_timer, &JsValue::from_f64(delay_ms))
    }

    /// Queues the microtask that posts the outbox.
    fn microtask(&self) -> Result<JsValue, JsValue> {
        self.queue_microtask
            .call1(&JsValue::NULL, &self.on_microtask)
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
