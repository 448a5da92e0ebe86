//! How subscribers learn that new events exist without polling: a list of listeners called with the
//! new head position after every successful append; and the [`Change`]s one handle on a browser
//! store tells the others (other tabs) about.

use crate::stream::StreamId;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Called with the new head position (the highest `event_id`) after an append.
pub type Listener = Rc<dyn Fn(u64)>;

/// Called with what another handle on the same storage (another tab, usually) changed.
pub type ChangeListener = Rc<dyn Fn(&Change)>;

/// A write another handle on the same storage committed: what a tab posts to the others so they
/// can refresh without a reload. It says what changed, not the data: a listener reads the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged (`{"appended": {…}}`): an internal tag would buffer the message to find it.
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Events were appended to `stream`; the log's head is now `head`.
    Appended {
        /// The stream appended to.
        stream: StreamId,
        /// The highest `event_id` after the append.
        head: u64,
        /// How many events the append stored.
        count: u64,
    },
    /// A subscriber's (or projection's) checkpoint was saved.
    CheckpointSaved {
        /// Whose.
        subscriber: String,
    },
    /// A stream's snapshot was saved.
    SnapshotSaved {
        /// Whose.
        stream: StreamId,
    },
    /// Every event, checkpoint and snapshot was deleted ("Reset lab", or an import about to
    /// write).
    Cleared,
    /// This handle's connection to its storage was closed from outside, so nothing more can be
    /// read or written through it. Only the handle itself tells this, to its own listeners; it
    /// is never posted to other tabs.
    Closed {
        /// What closed it.
        by: ClosedBy,
    },
}

/// What closed a store handle's connection from outside ([`Change::Closed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// The database was deleted: by another tab, a script, or the browser's developer tools.
    Deleted,
    /// Another tab opened the database in a later format: a newer Foldlab. (A reset is also a
    /// new version of the database, of the same format; a store reopens after it.)
    NewerVersion,
    /// The browser closed it (the site's data was cleared, or the storage failed).
    Browser,
}

impl ClosedBy {
    /// What happened, as one plain sentence.
    pub fn sentence(self) -> &'static str {
        match self {
            ClosedBy::Deleted => "The event store's database was deleted while the lab was open.",
            ClosedBy::NewerVersion => {
                "A newer version of the lab, open in another tab, took over the event store."
            }
            ClosedBy::Browser => "The browser closed the event store while the lab was open.",
        }
    }
}

/// The listeners of one store handle.
#[derive(Default, Clone)]
pub struct Notifier {
    listeners: Rc<RefCell<Vec<Listener>>>,
}

impl Notifier {
    /// Adds a listener.
    pub fn subscribe(&self, listener: Listener) {
        self.listeners.borrow_mut().push(listener);
    }

    /// Tells every listener the new head. The list is copied first so a listener may subscribe others.
    pub fn notify(&self, head: u64) {
        let listeners: Vec<Listener> = self.listeners.borrow().clone();
        for listener in listeners {
            listener(head);
        }
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Notifier({} listeners)", self.listeners.borrow().len())
    }
}
