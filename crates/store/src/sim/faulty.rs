//! A store that fails on demand, the way real deployments fail: a subscriber that crashes after
//! its effect but before saving its checkpoint, and operations of concurrent tasks that interleave
//! between a read and the append that follows it. In front of memory natively; in front of
//! IndexedDB for the simulator's run in the browser.

use crate::notify::Listener;
use crate::store::{
    Backend, Checkpoint, EventStore, ExpectedVersion, Snapshot, StoreError, StreamId,
};
use crate::MemoryStore;
use foldlab_domain::{EventEnvelope, NewEvent};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A store (a [`MemoryStore`] unless said otherwise) with two switches: crash a subscriber before
/// its next checkpoint, and yield to other tasks before every operation.
#[derive(Default)]
pub struct FaultyStore<S = MemoryStore> {
    inner: S,
    /// Subscribers (by name) whose next `save_checkpoint` fails.
    crash_before_checkpoint: RefCell<BTreeSet<String>>,
    /// Whether every operation first lets other tasks run.
    yielding: Cell<bool>,
    /// How many writes (appends, checkpoints, snapshots, clears) were attempted.
    writes: Cell<u64>,
}

impl FaultyStore {
    /// An empty memory store with no fault armed.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> FaultyStore<S> {
    /// `inner` with no fault armed.
    pub fn over(inner: S) -> Self {
        Self {
            inner,
            crash_before_checkpoint: RefCell::default(),
            yielding: Cell::default(),
            writes: Cell::default(),
        }
    }

    /// The store behind the switches.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The next checkpoint `subscriber` saves fails, as if the process stopped right after the
    /// handler's effect. The subscriber "restarts" with its old checkpoint, so the event comes again.
    pub fn crash_before_next_checkpoint(&self, subscriber: &str) {
        self.crash_before_checkpoint
            .borrow_mut()
            .insert(subscriber.to_string());
    }

    /// Disarms the crash armed for `subscriber`, if it did not happen.
    pub fn disarm(&self, subscriber: &str) {
        self.crash_before_checkpoint.borrow_mut().remove(subscriber);
    }

    /// While on, every operation first returns control to the executor once, so tasks polled
    /// together (`join_all`) all read before any of them appends: appends really race.
    pub fn set_yielding(&self, on: bool) {
        self.yielding.set(on);
    }

    /// How many writes were attempted so far. While it stays the same, so does everything the
    /// store holds: the invariants, which only read it, need not be checked again.
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    fn write(&self) {
        self.writes.set(self.writes.get() + 1);
    }

    async fn pause(&self) {
        if self.yielding.get() {
            YieldNow(false).await;
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

/// What the crash of `subscriber` looks like to the engine.
pub fn crash_error(subscriber: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "simulated crash: {subscriber} stopped after its effect, before saving its checkpoint"
    ))
}

impl<S: EventStore> EventStore for FaultyStore<S> {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.pause().await;
        self.write();
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.pause().await;
        self.inner.read_stream(stream, after_version).await
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.pause().await;
        self.inner.read_all(after_position, limit).await
    }

    async fn head(&self) -> Result<u64, StoreError> {
        self.inner.head().await
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.pause().await;
        self.inner.load_checkpoint(subscriber).await
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.pause().await;
        self.write();
        if self
            .crash_before_checkpoint
            .borrow_mut()
            .remove(&checkpoint.subscriber)
        {
            return Err(crash_error(&checkpoint.subscriber));
        }
        self.inner.save_checkpoint(checkpoint).await
    }

    // Snapshots go through to the memory store (the trait's default would keep none, and every
    // load would fold from the first event: the snapshot path would never run under faults). They
    // yield like every other operation, so a snapshot written after an append can land after a
    // racing command's newer one.
    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.pause().await;
        self.write();
        self.inner.save_snapshot(snapshot).await
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.pause().await;
        self.inner.load_snapshot(stream).await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.write();
        self.inner.clear().await
    }

    fn subscribe(&self, listener: Listener) {
        self.inner.subscribe(listener);
    }
}
