//! The one fault wrapper: any store, failing on demand the way real deployments fail. A subscriber
//! that crashes after its effect but before saving its checkpoint; appends to one stream held at a
//! gate until several writers have arrived, so they really race; every operation yielding to other
//! tasks first, so tasks polled together interleave between a read and the append after it.
//!
//! The lab puts it in front of the browser's store, the simulator in front of memory or IndexedDB,
//! and the contract suite runs through it. Several handles (two connections to one IndexedDB
//! database, say) can share one switchboard.

use crate::notify::Listener;
use crate::store::{
    Backend, Checkpoint, Conflict, EventStore, ExpectedVersion, Generation, Snapshot, StoreError,
    StreamId, ViewMark, ViewSave,
};
use crate::MemoryStore;
use foldlab_domain::{EventEnvelope, NewEvent};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The faults armed for every handle that shares them, and what they saw.
#[derive(Default)]
pub struct Faults {
    /// Subscribers (by name) whose next `save_checkpoint` fails.
    crash_before_checkpoint: RefCell<BTreeSet<String>>,
    /// Appends to one stream held until all racers have arrived.
    gate: RefCell<Option<Gate>>,
    /// Whether every operation first lets other tasks run.
    yielding: Cell<bool>,
    /// How many writes (appends, checkpoints, snapshots, clears) were attempted.
    writes: Cell<u64>,
    /// The appends refused by optimistic concurrency since [`Faults::take_conflicts`] was last
    /// called: races lost to another writer (another tab, say), whatever the caller did next.
    conflicts: RefCell<Vec<Conflict>>,
}

/// Holds appends to `stream` until `parties` of them wait, then lets them through one at a time,
/// lowest causing event first (the order a broker delivered them in), each after the previous one
/// finished: all of them were decided against the same version, so all but the first conflict.
struct Gate {
    stream: StreamId,
    parties: usize,
    /// Tickets of the appends that arrived, with the event that caused each.
    arrived: Vec<(u64, usize)>,
    /// The tickets in the order they go through, once everyone has arrived.
    order: Option<Vec<usize>>,
    /// How many have gone through.
    passed: usize,
    wakers: Vec<Waker>,
}

impl Faults {
    /// The next checkpoint `subscriber` saves fails with [`StoreError::Crashed`], as if the
    /// process stopped right after the handler's effect: its old checkpoint stays, so the event
    /// will be delivered again.
    pub fn crash_before_next_checkpoint(&self, subscriber: &str) {
        self.crash_before_checkpoint
            .borrow_mut()
            .insert(subscriber.to_string());
    }

    /// Disarms the crash armed for `subscriber`, if it did not happen.
    pub fn disarm_crash(&self, subscriber: &str) {
        self.crash_before_checkpoint.borrow_mut().remove(subscriber);
    }

    /// Holds the next `parties` appends to `stream` until all of them have arrived, then lets them
    /// through one by one, lowest `causation_id` first. Make sure that many will come (or call
    /// [`Faults::open_gate`]), or the first waits for ever.
    pub fn race_next_appends(&self, stream: StreamId, parties: usize) {
        self.open_gate();
        *self.gate.borrow_mut() = Some(Gate {
            stream,
            parties: parties.max(1),
            arrived: Vec::new(),
            order: None,
            passed: 0,
            wakers: Vec::new(),
        });
    }

    /// Removes the gate, letting every held append go.
    pub fn open_gate(&self) {
        if let Some(gate) = self.gate.borrow_mut().take() {
            gate.wakers.into_iter().for_each(Waker::wake);
        }
    }

    /// While on, every operation first returns control to the executor once, so tasks polled
    /// together (`join_all`) all read before any of them appends: appends really race.
    pub fn set_yielding(&self, on: bool) {
        self.yielding.set(on);
    }

    /// How many writes were attempted so far. While it stays the same, so does everything the
    /// store holds: checks that only read it need not run again.
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    /// The races lost since the last call, oldest first: each an append whose expected version was
    /// no longer the stream's.
    pub fn take_conflicts(&self) -> Vec<Conflict> {
        std::mem::take(&mut *self.conflicts.borrow_mut())
    }

    fn write(&self) {
        self.writes.set(self.writes.get() + 1);
    }

    async fn pause(&self) {
        if self.yielding.get() {
            YieldNow(false).await;
        }
    }

    fn note(&self, result: &Result<Vec<EventEnvelope>, StoreError>) {
        if let Err(error) = result {
            self.conflicts.borrow_mut().extend(Conflict::lost(error));
        }
    }

    fn crash_now(&self, subscriber: &str) -> bool {
        self.crash_before_checkpoint.borrow_mut().remove(subscriber)
    }

    /// Joins the gate if it holds `stream`: the ticket to wait with, or `None` to go straight on.
    fn arrive(&self, stream: &StreamId, cause: u64) -> Option<usize> {
        let mut slot = self.gate.borrow_mut();
        let gate = slot.as_mut().filter(|g| g.stream == *stream)?;
        if gate.arrived.len() >= gate.parties {
            return None; // Every racer has arrived; later appends are not part of the race.
        }
        let ticket = gate.arrived.len();
        gate.arrived.push((cause, ticket));
        if gate.arrived.len() == gate.parties {
            let mut sorted = gate.arrived.clone();
            sorted.sort();
            gate.order = Some(sorted.into_iter().map(|(_, t)| t).collect());
            gate.wakers.drain(..).for_each(Waker::wake);
        }
        Some(ticket)
    }

    /// After an append through the gate: the next racer may go; the gate goes when all have.
    fn leave(&self) {
        let mut slot = self.gate.borrow_mut();
        let Some(gate) = slot.as_mut() else { return };
        gate.passed += 1;
        let wakers: Vec<Waker> = gate.wakers.drain(..).collect();
        if gate.passed >= gate.parties {
            *slot = None;
        }
        drop(slot);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Waits until it is `ticket`'s turn at the gate (or the gate is gone).
struct Turn<'a> {
    faults: &'a Faults,
    ticket: usize,
}

impl Future for Turn<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.faults.gate.borrow_mut();
        let Some(gate) = slot.as_mut() else {
            return Poll::Ready(());
        };
        match &gate.order {
            Some(order) if order.get(gate.passed) == Some(&self.ticket) => Poll::Ready(()),
            _ => {
                gate.wakers.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Pending once (after asking to be polled again), then ready.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A store with a [`Faults`] switchboard in front of it; every call goes through to `S` unless a
/// fault is armed.
///
/// A clone is a second handle on the same store object with the same switchboard;
/// [`FaultSwitch::sharing`] puts another connection to the same storage behind the same
/// switchboard.
pub struct FaultSwitch<S = MemoryStore> {
    inner: Rc<S>,
    faults: Rc<Faults>,
}

impl<S> Clone for FaultSwitch<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
            faults: Rc::clone(&self.faults),
        }
    }
}

impl Default for FaultSwitch<MemoryStore> {
    fn default() -> Self {
        Self::new(MemoryStore::new())
    }
}

impl<S> FaultSwitch<S> {
    /// `inner` with no fault armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner: Rc::new(inner),
            faults: Rc::default(),
        }
    }

    /// Another handle, `inner` (a second connection to the same storage), that shares this one's
    /// switchboard: a gate armed on one holds the appends of both.
    pub fn sharing(&self, inner: S) -> Self {
        Self {
            inner: Rc::new(inner),
            faults: Rc::clone(&self.faults),
        }
    }

    /// The switchboard.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The store behind the switches.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: EventStore> EventStore for FaultSwitch<S> {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.faults.pause().await;
        self.faults.write();
        let cause = events
            .iter()
            .filter_map(|e| e.metadata.causation_id)
            .min()
            .unwrap_or(u64::MAX);
        let ticket = self.faults.arrive(stream, cause);
        if let Some(ticket) = ticket {
            Turn {
                faults: &self.faults,
                ticket,
            }
            .await;
        }
        let result = self.inner.append(stream, expected, events).await;
        self.faults.note(&result);
        if ticket.is_some() {
            self.faults.leave();
        }
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.faults.pause().await;
        self.inner.read_stream(stream, after_version).await
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.faults.pause().await;
        self.inner.read_all(after_position, limit).await
    }

    async fn head(&self) -> Result<u64, StoreError> {
        self.inner.head().await
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.faults.pause().await;
        self.inner.load_checkpoint(subscriber).await
    }

    async fn load_position(&self, subscriber: &str) -> Result<Option<u64>, StoreError> {
        self.faults.pause().await;
        self.inner.load_position(subscriber).await
    }

    async fn holds_checkpoint(&self, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        self.faults.pause().await;
        self.inner.holds_checkpoint(checkpoint).await
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.faults.pause().await;
        self.faults.write();
        if self.faults.crash_now(&checkpoint.subscriber) {
            return Err(StoreError::Crashed {
                subscriber: checkpoint.subscriber.clone(),
            });
        }
        self.inner.save_checkpoint(checkpoint).await
    }

    fn saves_views_in_parts(&self) -> bool {
        self.inner.saves_views_in_parts()
    }

    async fn save_view(&self, save: &ViewSave<'_>) -> Result<Option<ViewMark>, StoreError> {
        self.faults.pause().await;
        self.faults.write();
        if self.faults.crash_now(save.subscriber) {
            return Err(StoreError::Crashed {
                subscriber: save.subscriber.to_string(),
            });
        }
        self.inner.save_view(save).await
    }

    async fn load_view(
        &self,
        subscriber: &str,
    ) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        self.faults.pause().await;
        self.inner.load_view(subscriber).await
    }

    async fn holds_view(&self, mark: &ViewMark) -> Result<bool, StoreError> {
        self.faults.pause().await;
        self.inner.holds_view(mark).await
    }

    // Snapshots yield like every other operation, so a snapshot written after an append can land
    // after a racing command's newer one.
    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.faults.pause().await;
        self.faults.write();
        self.inner.save_snapshot(snapshot).await
    }

    fn generation(&self) -> Option<Generation> {
        self.inner.generation()
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.faults.pause().await;
        self.inner.load_snapshot(stream).await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.faults.write();
        self.inner.clear().await
    }

    fn subscribe(&self, listener: Listener) {
        self.inner.subscribe(listener);
    }
}
