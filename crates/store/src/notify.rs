//! How subscribers learn that new events exist without polling: a list of listeners called with the
//! new head position after every successful append.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Called with the new head position (the highest `event_id`) after an append.
pub type Listener = Rc<dyn Fn(u64)>;

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
