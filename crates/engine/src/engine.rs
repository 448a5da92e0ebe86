//! The choreography engine: runs user commands against one aggregate each, and hands stored events
//! to their subscribers one delivery at a time, deterministically, so the lab can *Step* through the
//! order-to-credit choreography or *Run to end*.
//!
//! Subscribers never share a transaction. Each handles one event by changing at most one aggregate
//! (an append with an expected version, retried a bounded number of times on a conflict) and then
//! saves its checkpoint: the highest `event_id` it has handled. If it stops between the two, the
//! event is delivered again (at-least-once), and the duplicate is recognised: by the checkpoint when
//! it was saved, and otherwise by the effect itself, since every event a service appends names the
//! event that caused it (`causation_id`) in the aggregate's own stream.
//!
//! Deliveries to one subscriber go in `event_id` order (a checkpoint is a high-water mark, so
//! skipping ahead would lose events), but subscribers are independent of each other: any of them may
//! be held back while others go first ([`Engine::pending_deliveries`], [`Engine::step_for`]), and any
//! event already handled may be delivered again ([`Engine::deliver_again`]).

use crate::projector::{ProjectorError, ViewVersion};
use crate::query_side::QuerySide;
use foldlab_domain::codec::{decode, DecodeError, DomainEvent};
use foldlab_domain::{
    fold, policy, ApplyOutcome, CancelReason, CustomerCommand, CustomerDecider, CustomerId,
    CustomerState, CustomerViews, EventEnvelope, LineItem, Metadata, Money, OrderCommand,
    OrderDecider, OrderId, OrderState, Snapshotting,
};
pub use foldlab_store::Conflict;
use foldlab_store::{Checkpoint, EventStore, ExpectedVersion, StoreError, StreamId};
use futures::future::try_join3;
use kept::{Kept, KeptState};
use std::fmt;

mod kept;
mod snapshots;
use snapshots::caused_through;
pub use snapshots::{fold_stored, snapshot_of, LoadReport, SnapshotPolicy, SnapshotSkipped};

/// How many times a command is decided again after losing a race (reload, decide, append).
pub const MAX_ATTEMPTS: u32 = 3;

/// How many events a subscriber reads ahead at a time while looking for its next delivery.
const PAGE: usize = 256;

/// The services and views that subscribe to the event store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subscriber {
    /// Reacts to OrderCreated by reserving credit on the Customer aggregate, and to the user's
    /// OrderCancelled by releasing it.
    CustomerService,
    /// Reacts to CreditReserved / CreditLimitExceeded / CreditReservationRefused by approving or
    /// cancelling the Order.
    OrderService,
    /// The query side: keeps the customer view (a projection).
    CustomerView,
}

impl Subscriber {
    /// Every subscriber, in the order ties are broken.
    pub const ALL: [Subscriber; 3] = [
        Subscriber::CustomerService,
        Subscriber::OrderService,
        Subscriber::CustomerView,
    ];

    /// The name its checkpoint is saved under, and its `actor` in metadata.
    pub fn name(self) -> &'static str {
        match self {
            Subscriber::CustomerService => "customer-service",
            Subscriber::OrderService => "order-service",
            Subscriber::CustomerView => "customer-view",
        }
    }

    /// The subscriber whose [`Subscriber::name`] this is.
    pub fn from_name(name: &str) -> Option<Subscriber> {
        Subscriber::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            Subscriber::CustomerService => "Customer service",
            Subscriber::OrderService => "Order service",
            Subscriber::CustomerView => "Customer view",
        }
    }

    /// Whether it is told of this event.
    pub fn subscribes_to(self, event: &EventEnvelope) -> bool {
        match self {
            Subscriber::CustomerService => {
                policy::customer_service_subscribes(&event.entity_type, &event.event_type)
            }
            Subscriber::OrderService => {
                policy::order_service_subscribes(&event.entity_type, &event.event_type)
            }
            Subscriber::CustomerView => true,
        }
    }
}

impl fmt::Display for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One event on its way to one subscriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Who receives it.
    pub subscriber: Subscriber,
    /// What it receives.
    pub event: EventEnvelope,
}

/// What a delivery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The service changed its aggregate: the events it appended.
    Appended(Vec<EventEnvelope>),
    /// The service's aggregate recorded a refusal as an event (CreditLimitExceeded, or Foldlab's
    /// CreditReservationRefused): the events it appended, which change no state.
    RefusalRecorded(Vec<EventEnvelope>),
    /// The aggregate refused the command outright (a business rule, in plain words): nothing was
    /// appended.
    Refused(String),
    /// The view changed.
    ViewUpdated,
    /// The event does not change the view; only the checkpoint moved.
    ViewUnchanged,
    /// The event was handled before, so it was discarded; how it was recognised.
    DuplicateDiscarded(Recognised),
}

impl Outcome {
    /// Its kind, the vocabulary the journal, scenarios and views share.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Appended(_) => OutcomeKind::Appended,
            Outcome::RefusalRecorded(_) => OutcomeKind::RefusalRecorded,
            Outcome::Refused(_) => OutcomeKind::Refused,
            Outcome::ViewUpdated => OutcomeKind::ViewUpdated,
            Outcome::ViewUnchanged => OutcomeKind::ViewUnchanged,
            Outcome::DuplicateDiscarded(_) => OutcomeKind::DuplicateDiscarded,
        }
    }

    /// The events the delivery appended (none for a view, a refusal without event, a duplicate).
    pub fn stored(&self) -> &[EventEnvelope] {
        match self {
            Outcome::Appended(events) | Outcome::RefusalRecorded(events) => events,
            Outcome::Refused(_)
            | Outcome::ViewUpdated
            | Outcome::ViewUnchanged
            | Outcome::DuplicateDiscarded(_) => &[],
        }
    }
}

/// How a handler recognised an event it had handled before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recognised {
    /// Its id is not above the subscriber's checkpoint, the highest event id it handled (Part 2,
    /// "Benefits and Drawbacks of Event Sourcing").
    ByCheckpoint,
    /// Foldlab's own rule, for a crash between effect and checkpoint: the service's aggregate
    /// already holds an event the service appended with a `causation_id` at or above this one.
    ByCausation,
}

/// The kind of a delivery's result: the one vocabulary of the engine, the journal, scenario
/// expectations and the views' colours. Stored by its snake-case name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A service changed its aggregate.
    #[serde(alias = "state changed")]
    Appended,
    /// A service's aggregate recorded a refusal as an event; its state did not change.
    RefusalRecorded,
    /// The aggregate refused outright; nothing was appended.
    #[serde(alias = "rule refused")]
    Refused,
    /// A view changed.
    #[serde(alias = "view updated")]
    ViewUpdated,
    /// Only the checkpoint moved.
    #[serde(alias = "checkpoint moved")]
    ViewUnchanged,
    /// A duplicate was recognised and discarded.
    #[serde(alias = "duplicate discarded")]
    DuplicateDiscarded,
    /// The handler crashed after its effect, before its checkpoint (a fault switched on).
    Crashed,
    /// The delivery failed otherwise; its checkpoint did not move.
    Failed,
}

impl OutcomeKind {
    /// Every kind, in the order tables list them.
    pub const ALL: [OutcomeKind; 8] = [
        OutcomeKind::Appended,
        OutcomeKind::RefusalRecorded,
        OutcomeKind::Refused,
        OutcomeKind::ViewUpdated,
        OutcomeKind::ViewUnchanged,
        OutcomeKind::DuplicateDiscarded,
        OutcomeKind::Crashed,
        OutcomeKind::Failed,
    ];

    /// The name it is stored and counted under (`refusal_recorded`).
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Appended => "appended",
            OutcomeKind::RefusalRecorded => "refusal_recorded",
            OutcomeKind::Refused => "refused",
            OutcomeKind::ViewUpdated => "view_updated",
            OutcomeKind::ViewUnchanged => "view_unchanged",
            OutcomeKind::DuplicateDiscarded => "duplicate_discarded",
            OutcomeKind::Crashed => "crashed",
            OutcomeKind::Failed => "failed",
        }
    }

    /// The kind stored under `name`.
    pub fn from_name(name: &str) -> Option<OutcomeKind> {
        OutcomeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A short name for people.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Appended => "state changed",
            OutcomeKind::RefusalRecorded => "refusal recorded",
            OutcomeKind::Refused => "rule refused",
            OutcomeKind::ViewUpdated => "view updated",
            OutcomeKind::ViewUnchanged => "checkpoint moved",
            OutcomeKind::DuplicateDiscarded => "duplicate discarded",
            OutcomeKind::Crashed => "crashed before its checkpoint",
            OutcomeKind::Failed => "failed",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A delivery and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// What was delivered to whom.
    pub delivery: Delivery,
    /// What it did.
    pub outcome: Outcome,
    /// The races the handler lost on the way, oldest first: each time its append found the
    /// stream at another version than the one it had loaded, it loaded and decided again.
    pub conflicts: Vec<Conflict>,
}

/// Why a command or a delivery failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The aggregate refused the command (a business rule), in plain words.
    Rejected(String),
    /// The order names a customer that the lookup through the Customer service's API did not find:
    /// refused before the Order exists, not by the Order aggregate's rules.
    UnknownCustomer(CustomerId),
    /// The command lost the race for its aggregate [`MAX_ATTEMPTS`] times.
    TooManyConflicts {
        /// The aggregate.
        stream: StreamId,
        /// How many attempts were made.
        attempts: u32,
    },
    /// No stored event has this id.
    NoSuchEvent(u64),
    /// The event cannot be delivered *again*: the subscriber has not handled it yet (its checkpoint
    /// is below it). Handing it over now would skip the events in between.
    NotYetDelivered {
        /// Who was to receive it again.
        subscriber: Subscriber,
        /// The event.
        event_id: u64,
        /// The subscriber's checkpoint.
        position: u64,
    },
    /// A stored event cannot be read.
    Decode {
        /// Which event.
        event_id: u64,
        /// Why.
        error: DecodeError,
    },
    /// The storage failed.
    Store(StoreError),
    /// A projection could not apply an event (a paused one, for instance).
    Projection(ProjectorError),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Rejected(reason) => f.write_str(reason),
            EngineError::UnknownCustomer(id) => {
                write!(f, "No order was placed: a lookup through the Customer service's API found no customer {id}. The Order aggregate did not decide this.")
            }
            EngineError::TooManyConflicts { stream, attempts } => write!(
                f,
                "{stream} kept changing underneath this command: {attempts} attempts each lost a concurrency conflict, so nothing was stored."
            ),
            EngineError::NoSuchEvent(event_id) => write!(f, "There is no event #{event_id} in the store."),
            EngineError::NotYetDelivered { subscriber, event_id, position } => write!(
                f,
                "The {subscriber} has not handled event #{event_id} yet (its checkpoint is at #{position}), so it cannot be delivered again."
            ),
            EngineError::Decode { event_id, error } => {
                write!(f, "Event #{event_id} cannot be read: {error}.")
            }
            EngineError::Store(error) => write!(f, "{error}"),
            EngineError::Projection(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<StoreError> for EngineError {
    fn from(error: StoreError) -> Self {
        EngineError::Store(error)
    }
}

impl From<ProjectorError> for EngineError {
    fn from(error: ProjectorError) -> Self {
        match error {
            ProjectorError::Unreadable(unreadable) => EngineError::Decode {
                event_id: unreadable.event_id,
                error: unreadable.error,
            },
            ProjectorError::Store(error) => EngineError::Store(error),
            corrupt @ ProjectorError::CorruptState { .. } => {
                EngineError::Store(StoreError::Corrupt(corrupt.to_string()))
            }
            other => EngineError::Projection(other),
        }
    }
}

/// The clock the engine stamps events with (milliseconds since the Unix epoch).
pub type Clock = Box<dyn Fn() -> i64>;

/// Runs commands and deliveries against one store.
pub struct Engine<S> {
    store: S,
    clock: Clock,
    /// The snapshot policy per entity type: a snapshot every N events; absent means off. A
    /// `RefCell` so the lab can change it through a shared handle while it runs.
    snapshot_policy: std::cell::Cell<SnapshotPolicy>,
    query: QuerySide,
    /// Each aggregate's state after this engine's last command on it (see [`kept`]).
    kept: Kept,
}

impl<S: EventStore> Engine<S> {
    /// An engine over `store` that stamps events with `clock`. Snapshots start off for every
    /// entity type (see [`Engine::set_snapshot_policy`]).
    pub fn new(store: S, clock: Clock) -> Self {
        Self {
            store,
            clock,
            snapshot_policy: std::cell::Cell::new(SnapshotPolicy::OFF),
            query: QuerySide::new(),
            kept: Kept::default(),
        }
    }

    /// Forgets the state kept for `stream` since this engine's last command on it: another
    /// handle wrote to it. Only a shortcut is lost; the store would refuse a command decided on
    /// the old state anyway, and the engine would then load the stream and decide again.
    pub fn forget_state(&self, stream: &StreamId) {
        self.kept.forget(stream);
    }

    /// Forgets every kept state: the store was reset or replaced by another handle.
    pub fn forget_states(&self) {
        self.kept.forget_all();
    }

    /// How many aggregates' states this engine keeps between commands.
    pub fn kept_states(&self) -> usize {
        self.kept.len()
    }

    /// The query side: every projection's projector, to list with its lag and to switch. The
    /// engine delivers to the customer view; the others move when their projector is told to.
    pub fn query_side(&self) -> &QuerySide {
        &self.query
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Opens a customer account (the user's command: one transaction, one aggregate).
    pub async fn create_customer(
        &self,
        customer_id: &CustomerId,
        name: &str,
        credit_limit: Money,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        let command = CustomerCommand::Create {
            name: name.to_string(),
            credit_limit,
        };
        self.execute::<CustomerDecider>(customer_id.as_str(), &command, user(correlation_id))
            .await
    }

    /// Places an order: creates the Order aggregate, NEW. Credit is reserved later, by the Customer
    /// service reacting to OrderCreated. First the customer is looked up by id through the Customer
    /// service's API (here, a read of its stream standing in for that API): a read across services,
    /// not a transaction, and not a rule of the Order aggregate, which keeps only the id. An unknown
    /// customer is refused by that lookup ([`EngineError::UnknownCustomer`]). The lab's form asks
    /// for a total, which becomes one line item (see [`Engine::place_order_items`]).
    pub async fn place_order(
        &self,
        order_id: &OrderId,
        customer_id: &CustomerId,
        total: Money,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        self.place_order_items(
            order_id,
            customer_id,
            vec![LineItem::whole_order(total)],
            correlation_id,
        )
        .await
    }

    /// A customer's current state: its latest trusted snapshot (when the policy is on) folded with
    /// the events after it, or else all its events.
    pub async fn load_customer(&self, id: &CustomerId) -> Result<CustomerState, EngineError> {
        Ok(self.load::<CustomerDecider>(id.as_str()).await?.0)
    }

    /// An order's current state, folded like [`Engine::load_customer`].
    pub async fn load_order(&self, id: &OrderId) -> Result<OrderState, EngineError> {
        Ok(self.load::<OrderDecider>(id.as_str()).await?.0)
    }

    /// The customer view as the query side holds it now (it may lag the event store).
    pub async fn customer_view(&self) -> Result<CustomerViews, EngineError> {
        Ok(self.query.customer_view.state(&self.store).await?)
    }

    /// The customer view with the save it was read from, or `None` when the store still holds
    /// `seen`, the save the caller's copy came from (see [`crate::Projector::load_changed`]).
    pub async fn customer_view_changed(
        &self,
        seen: Option<&ViewVersion>,
    ) -> Result<Option<(Option<ViewVersion>, CustomerViews)>, EngineError> {
        Ok(self
            .query
            .customer_view
            .load_changed(&self.store, seen)
            .await?
            .map(|(version, projected)| (version, projected.state)))
    }

    /// Each subscriber's checkpoint position (0 before its first delivery).
    ///
    /// The checkpoints are read at once: a read waits in the store's queue behind whatever else is
    /// reading (a long history's integrity check, say), so one wait for all of them instead of one
    /// each (IndexedDB puts reads made at the same moment in one transaction).
    pub async fn positions(&self) -> Result<Vec<(Subscriber, u64)>, EngineError> {
        let read = async |s| Ok::<_, EngineError>((s, self.position(s).await?));
        let [a, b, c] = Subscriber::ALL;
        let (a, b, c) = try_join3(read(a), read(b), read(c)).await?;
        Ok(vec![a, b, c])
    }

    /// The next delivery: the lowest `event_id` some subscriber has not handled yet, to the first
    /// such subscriber in [`Subscriber::ALL`] order. `None` when every subscriber is up to date.
    pub async fn next_delivery(&self) -> Result<Option<Delivery>, EngineError> {
        let mut best: Option<Delivery> = None;
        for subscriber in Subscriber::ALL {
            if subscriber == Subscriber::CustomerView && self.query.customer_view.is_paused() {
                continue; // Held back: the view lags while the services go on.
            }
            let mut after = self.position(subscriber).await?;
            let bound = best.as_ref().map_or(u64::MAX, |d| d.event.event_id);
            'pages: loop {
                let page = self.store.read_all(after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.event_id;
                for event in page {
                    if event.event_id >= bound {
                        break 'pages;
                    }
                    if subscriber.subscribes_to(&event) {
                        best = Some(Delivery { subscriber, event });
                        break 'pages;
                    }
                }
            }
        }
        Ok(best)
    }

    /// How many deliveries are waiting, counted over events already stored (handling them may add more).
    pub async fn pending(&self) -> Result<usize, EngineError> {
        // Each subscriber's count is read at the same time as the others' (see `positions`).
        let count = async |subscriber: Subscriber| {
            let mut count = 0;
            let mut after = self.position(subscriber).await?;
            loop {
                let page = self.store.read_all(after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.event_id;
                count += page.iter().filter(|e| subscriber.subscribes_to(e)).count();
            }
            Ok::<_, EngineError>(count)
        };
        let [a, b, c] = Subscriber::ALL;
        let (a, b, c) = try_join3(count(a), count(b), count(c)).await?;
        Ok(a + b + c)
    }

    /// Makes the next delivery, if any, and reports what it did.
    pub async fn step(&self) -> Result<Option<StepReport>, EngineError> {
        let Some(delivery) = self.next_delivery().await? else {
            return Ok(None);
        };
        Ok(Some(self.deliver_reporting(&delivery).await?))
    }

    /// The next delivery to one subscriber: the lowest subscribed `event_id` above its checkpoint.
    pub async fn next_delivery_for(
        &self,
        subscriber: Subscriber,
    ) -> Result<Option<Delivery>, EngineError> {
        let mut after = self.position(subscriber).await?;
        loop {
            let page = self.store.read_all(after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(None);
            };
            after = last.event_id;
            if let Some(event) = page.into_iter().find(|e| subscriber.subscribes_to(e)) {
                return Ok(Some(Delivery { subscriber, event }));
            }
        }
    }

    /// Every delivery that could go next: each subscriber's own next one, lowest `event_id` first
    /// (ties in [`Subscriber::ALL`] order). The first is what [`Engine::step`] makes; making any other
    /// first holds the earlier ones back, as a slow consumer would.
    pub async fn pending_deliveries(&self) -> Result<Vec<Delivery>, EngineError> {
        let mut deliveries = Vec::with_capacity(Subscriber::ALL.len());
        for subscriber in Subscriber::ALL {
            if subscriber == Subscriber::CustomerView && self.query.customer_view.is_paused() {
                continue; // Held back, as in `next_delivery`.
            }
            if let Some(delivery) = self.next_delivery_for(subscriber).await? {
                deliveries.push(delivery);
            }
        }
        // A stable sort keeps `Subscriber::ALL` order among equal ids.
        deliveries.sort_by_key(|d| d.event.event_id);
        Ok(deliveries)
    }

    /// Makes the next delivery to `subscriber` only, holding every other subscriber back.
    pub async fn step_for(
        &self,
        subscriber: Subscriber,
    ) -> Result<Option<StepReport>, EngineError> {
        let Some(delivery) = self.next_delivery_for(subscriber).await? else {
            return Ok(None);
        };
        Ok(Some(self.deliver_reporting(&delivery).await?))
    }

    /// Delivers an event the subscriber has already handled once more, as an at-least-once broker
    /// may: the outcome shows whether the handler recognised the duplicate. Refuses an event above
    /// the subscriber's checkpoint ([`EngineError::NotYetDelivered`]): that is not a redelivery.
    pub async fn deliver_again(
        &self,
        subscriber: Subscriber,
        event_id: u64,
    ) -> Result<StepReport, EngineError> {
        let event = self
            .store
            .read_all(event_id.saturating_sub(1), 1)
            .await?
            .into_iter()
            .find(|e| e.event_id == event_id)
            .ok_or(EngineError::NoSuchEvent(event_id))?;
        let position = self.position(subscriber).await?;
        if event_id > position {
            return Err(EngineError::NotYetDelivered {
                subscriber,
                event_id,
                position,
            });
        }
        self.deliver_reporting(&Delivery { subscriber, event })
            .await
    }

    /// Steps until nothing is waiting, or `max_steps` deliveries were made.
    pub async fn run_to_end(&self, max_steps: usize) -> Result<Vec<StepReport>, EngineError> {
        let mut reports = Vec::new();
        while reports.len() < max_steps {
            match self.step().await? {
                Some(report) => reports.push(report),
                None => break,
            }
        }
        Ok(reports)
    }

    /// Hands one event to one subscriber: its effect first, then its checkpoint. A crash between
    /// the two leads to the event being delivered again, which the handler recognises.
    ///
    /// A handler discards an event it has handled before, which it recognises by its checkpoint (the
    /// highest `event_id` handled), or, for a service that crashed after its effect but before its
    /// checkpoint, by the effect: its aggregate's stream holds an event the service appended with a
    /// `causation_id` at or above this event's id.
    pub async fn deliver(&self, delivery: &Delivery) -> Result<Outcome, EngineError> {
        Ok(self.deliver_reporting(delivery).await?.outcome)
    }

    /// [`Engine::deliver`], reporting the delivery, its outcome and the concurrency conflicts its
    /// handler met on the way (each followed by a reload and a new decision).
    pub async fn deliver_reporting(&self, delivery: &Delivery) -> Result<StepReport, EngineError> {
        let mut conflicts = Vec::new();
        let outcome = self.deliver_counting(delivery, &mut conflicts).await?;
        Ok(StepReport {
            delivery: delivery.clone(),
            outcome,
            conflicts,
        })
    }

    async fn deliver_counting(
        &self,
        delivery: &Delivery,
        conflicts: &mut Vec<Conflict>,
    ) -> Result<Outcome, EngineError> {
        let event = &delivery.event;
        let subscriber = delivery.subscriber;
        if event.event_id <= self.position(subscriber).await? {
            // Nothing to save: the checkpoint is already at or past this event.
            return Ok(Outcome::DuplicateDiscarded(Recognised::ByCheckpoint));
        }
        let decoded = decode(event).map_err(|error| EngineError::Decode {
            event_id: event.event_id,
            error,
        })?;
        let metadata = Metadata {
            actor: subscriber.name().to_string(),
            correlation_id: event.metadata.correlation_id.clone(),
            causation_id: Some(event.event_id),
        };
        let (outcome, state) = match subscriber {
            Subscriber::CustomerService => match policy::customer_service(&decoded) {
                Some((id, command)) => {
                    let result = self
                        .execute_counting::<CustomerDecider>(
                            id.as_str(),
                            &command,
                            metadata,
                            conflicts,
                        )
                        .await;
                    (service_outcome(result)?, "null".to_string())
                }
                None => (Outcome::ViewUnchanged, "null".to_string()),
            },
            Subscriber::OrderService => match policy::order_service(&decoded) {
                Some((id, command)) => {
                    let result = self
                        .execute_counting::<OrderDecider>(
                            id.as_str(),
                            &command,
                            metadata,
                            conflicts,
                        )
                        .await;
                    (service_outcome(result)?, "null".to_string())
                }
                None => (Outcome::ViewUnchanged, "null".to_string()),
            },
            Subscriber::CustomerView => {
                // Its projector saves the checkpoint itself: the position and the view together.
                let applied = self.query.customer_view.deliver(&self.store, event).await?;
                return Ok(match applied {
                    ApplyOutcome::Updated => Outcome::ViewUpdated,
                    ApplyOutcome::Ignored => Outcome::ViewUnchanged,
                    ApplyOutcome::Duplicate => {
                        Outcome::DuplicateDiscarded(Recognised::ByCheckpoint)
                    }
                });
            }
        };
        let position = self.position(subscriber).await?.max(event.event_id);
        self.store
            .save_checkpoint(&Checkpoint {
                subscriber: subscriber.name().to_string(),
                position,
                state,
            })
            .await?;
        Ok(outcome)
    }

    async fn position(&self, subscriber: Subscriber) -> Result<u64, EngineError> {
        Ok(self
            .store
            .load_position(subscriber.name())
            .await?
            .unwrap_or(0))
    }

    /// Loads an aggregate: its state and its version (see [`Engine::load_with_report`]).
    async fn load<D: Snapshotting>(&self, id: &str) -> Result<(D::State, u64), EngineError>
    where
        D::Event: DomainEvent,
    {
        let (state, report) = self.load_with_report::<D>(id).await?;
        Ok((state, report.version))
    }

    /// A user's command: one transaction on one aggregate (see [`Engine::execute_once`]).
    async fn execute<D: Snapshotting>(
        &self,
        id: &str,
        command: &D::Command,
        metadata: Metadata,
    ) -> Result<Vec<EventEnvelope>, EngineError>
    where
        D::Event: DomainEvent,
        D::Error: fmt::Display,
        D::State: 'static,
    {
        match self.execute_once::<D>(id, command, metadata).await? {
            Executed::Appended(events) | Executed::RefusalRecorded(events) => Ok(events),
            // A user's command has no causation, so it is never recognised as handled.
            Executed::AlreadyHandled => Ok(Vec::new()),
        }
    }

    /// One transaction on one aggregate: load, decide, append with the version loaded. On a
    /// conflict, load and decide again, at most [`MAX_ATTEMPTS`] times in all.
    ///
    /// The state this engine's last command on the aggregate left is kept (see [`kept`]) and
    /// used instead of the first attempt's load when it is there; the append then states it, and
    /// if the store refuses it the next attempt loads the aggregate as usual.
    ///
    /// When the command reacts to an event (`metadata.causation_id`), it is carried out at most once
    /// per aggregate: if the stream already holds an event this actor appended for that event or a
    /// later one, nothing is decided. The check reads the stream after the load, so the append's
    /// expected version also guards it against a concurrent handler of the same event.
    async fn execute_once<D: Snapshotting>(
        &self,
        id: &str,
        command: &D::Command,
        metadata: Metadata,
    ) -> Result<Executed, EngineError>
    where
        D::Event: DomainEvent,
        D::Error: fmt::Display,
        D::State: 'static,
    {
        self.execute_counting::<D>(id, command, metadata, &mut Vec::new())
            .await
    }

    /// [`Engine::execute_once`], adding each conflict it met to `conflicts`.
    async fn execute_counting<D: Snapshotting>(
        &self,
        id: &str,
        command: &D::Command,
        metadata: Metadata,
        conflicts: &mut Vec<Conflict>,
    ) -> Result<Executed, EngineError>
    where
        D::Event: DomainEvent,
        D::Error: fmt::Display,
        D::State: 'static,
    {
        let stream = StreamId::new(D::Event::ENTITY_TYPE, id);
        for attempt in 0..MAX_ATTEMPTS {
            let kept = match attempt {
                0 => self.kept.take::<D::State>(&stream),
                _ => None,
            };
            let (state, version, caused, expected, generation) = match kept {
                Some(kept) => {
                    let expected = kept.expected();
                    let KeptState {
                        state,
                        version,
                        generation,
                        caused_through,
                    } = kept;
                    (state, version, caused_through, expected, Some(generation))
                }
                None => {
                    // Read before the load: a state is kept only if the store was still in
                    // this generation when the append was checked.
                    let generation = self.store.generation();
                    let (state, loaded) = self.load_with_report::<D>(id).await?;
                    let version = loaded.version;
                    let expected = ExpectedVersion::after(version);
                    (state, version, loaded.caused_through, expected, generation)
                }
            };
            if let Some(cause) = metadata.causation_id {
                // Kept with the state (and its snapshot), so the stream is not read again; a
                // snapshot written before Foldlab kept it means reading the stream once.
                let through = match caused {
                    Some(through) => through,
                    None => self.handled_through(&stream, &metadata.actor).await?,
                };
                if through >= cause {
                    return Ok(Executed::AlreadyHandled);
                }
            }
            let events =
                D::decide(command, &state).map_err(|e| EngineError::Rejected(e.to_string()))?;
            let now = (self.clock)();
            let new_events = events
                .iter()
                .map(|e| e.to_new_event(now, metadata.clone()))
                .collect();
            match self.store.append(&stream, expected, new_events).await {
                Ok(stored) => {
                    let caused = caused.map(|before| before.max(caused_through(&stored)));
                    let state = fold::<D>(state, &events);
                    self.snapshot_after_append::<D>(&stream, version, caused, &state, &stored)
                        .await;
                    let after = stored.last().map_or(version, |last| last.version);
                    match generation {
                        Some(generation) if self.store.generation() == Some(generation) => {
                            self.kept.keep(
                                &stream,
                                KeptState {
                                    state,
                                    version: after,
                                    generation,
                                    caused_through: caused,
                                },
                            )
                        }
                        _ => {}
                    }
                    return Ok(if events.iter().all(DomainEvent::records_a_refusal) {
                        Executed::RefusalRecorded(stored)
                    } else {
                        Executed::Appended(stored)
                    });
                }
                Err(error @ StoreError::Conflict { .. }) => {
                    conflicts.extend(Conflict::lost(&error))
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(EngineError::TooManyConflicts {
            stream,
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Places an order with its line items: creates the Order aggregate, NEW (see
    /// [`Engine::place_order`]). A deleted customer still exists for the lookup through the Customer
    /// service's API, since its stream stays; the Customer service then refuses the credit
    /// (CreditReservationRefused, Foldlab's rule) and the Order service cancels the order, so that
    /// rule lives in the Customer's `decide`, not in the lookup.
    pub async fn place_order_items(
        &self,
        order_id: &OrderId,
        customer_id: &CustomerId,
        line_items: Vec<LineItem>,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        // The lookup through the Customer service's API: does this customer exist?
        let customer = StreamId::new(CUSTOMER, customer_id.as_str());
        if self.store.read_stream(&customer, 0).await?.is_empty() {
            return Err(EngineError::UnknownCustomer(customer_id.clone()));
        }
        let command = OrderCommand::Create {
            customer_id: customer_id.clone(),
            line_items,
        };
        self.execute::<OrderDecider>(order_id.as_str(), &command, user(correlation_id))
            .await
    }

    /// The user cancels an order, NEW or APPROVED (one transaction, the Order). Its credit is
    /// released later, by the Customer service reacting to the OrderCancelled.
    pub async fn cancel_order(
        &self,
        order_id: &OrderId,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        let command = OrderCommand::Cancel {
            reason: CancelReason::UserRequested,
        };
        self.execute::<OrderDecider>(order_id.as_str(), &command, user(correlation_id))
            .await
    }

    /// The user ships an APPROVED order. Its reservation stays on the Customer: the credit is used.
    pub async fn ship_order(
        &self,
        order_id: &OrderId,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        self.execute::<OrderDecider>(order_id.as_str(), &OrderCommand::Ship, user(correlation_id))
            .await
    }

    /// The user changes a customer's credit limit; a limit below what is reserved is refused.
    pub async fn change_credit_limit(
        &self,
        customer_id: &CustomerId,
        new_limit: Money,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        let command = CustomerCommand::ChangeCreditLimit { new_limit };
        self.execute::<CustomerDecider>(customer_id.as_str(), &command, user(correlation_id))
            .await
    }

    /// The user deletes a customer: a CustomerDeleted event, not a removed row. Its stream stays
    /// readable, and it reserves no more credit.
    pub async fn delete_customer(
        &self,
        customer_id: &CustomerId,
        correlation_id: &str,
    ) -> Result<Vec<EventEnvelope>, EngineError> {
        self.execute::<CustomerDecider>(
            customer_id.as_str(),
            &CustomerCommand::Delete,
            user(correlation_id),
        )
        .await
    }

    /// The highest `causation_id` among the events `actor` appended to `stream` (0 if none): the
    /// highest event id whose handling already changed this aggregate. It is kept with the effect
    /// itself, so it survives a crash before the checkpoint. Services handle events in `event_id`
    /// order, so this is also the causation of the last such event.
    async fn handled_through(&self, stream: &StreamId, actor: &str) -> Result<u64, EngineError> {
        Ok(self
            .store
            .read_stream(stream, 0)
            .await?
            .iter()
            .filter(|e| e.metadata.actor == actor)
            .filter_map(|e| e.metadata.causation_id)
            .max()
            .unwrap_or(0))
    }
}

/// What a transaction on one aggregate came to.
#[derive(Debug)]
enum Executed {
    /// The events it stored.
    Appended(Vec<EventEnvelope>),
    /// The events it stored, each recording a refusal rather than a change of state.
    RefusalRecorded(Vec<EventEnvelope>),
    /// The aggregate already holds this actor's reaction to the causing event (or a later one).
    AlreadyHandled,
}

const CUSTOMER: &str = "Customer";

fn user(correlation_id: &str) -> Metadata {
    Metadata {
        actor: "user".to_string(),
        correlation_id: correlation_id.to_string(),
        causation_id: None,
    }
}

/// A service's command either appended events or was refused by a rule; anything else is a failure.
fn service_outcome(result: Result<Executed, EngineError>) -> Result<Outcome, EngineError> {
    match result {
        Ok(Executed::Appended(events)) => Ok(Outcome::Appended(events)),
        Ok(Executed::RefusalRecorded(events)) => Ok(Outcome::RefusalRecorded(events)),
        Ok(Executed::AlreadyHandled) => Ok(Outcome::DuplicateDiscarded(Recognised::ByCausation)),
        Err(EngineError::Rejected(reason)) => Ok(Outcome::Refused(reason)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod delivery_tests;

/// Makes two deliveries at the same time, each through its own engine (two instances of a service,
/// say), and reports both. Arm [`foldlab_store::Faults::race_next_appends`] first to make their
/// appends collide.
pub async fn deliver_at_once<S: EventStore>(
    first: (&Engine<S>, &Delivery),
    second: (&Engine<S>, &Delivery),
) -> (
    Result<StepReport, EngineError>,
    Result<StepReport, EngineError>,
) {
    futures::future::join(
        first.0.deliver_reporting(first.1),
        second.0.deliver_reporting(second.1),
    )
    .await
}

#[cfg(test)]
mod race_tests;

#[cfg(test)]
mod fault_tests;

#[cfg(test)]
mod kept_tests;
