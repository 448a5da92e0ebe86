//! Random steps from a seed: every user command on a handful of customers and their orders,
//! deliveries in any order the subscribers allow, and faults; and, drawn first, whether the run keeps
//! snapshots and how often. Each step is drawn against the lab as it is, so most are meaningful (a
//! redelivery names an event the subscriber has handled, a shipment mostly an approved order), yet
//! some name ids that make the command fail, since a refused command is a normal outcome; and each
//! step is plain data that replays without the generator.

use super::harness::Harness;
use super::rng::Rng;
use crate::runner::Violation;
use crate::step::{
    CancelOrder, ChangeCreditLimit, Crash, CreateCustomer, DeleteCustomer, Deliver, PlaceOrder,
    Redeliver, ShipOrder, Step,
};
use foldlab_domain::{CustomerId, OrderStatus, WriteModel};
use foldlab_engine::SnapshotPolicy;
use foldlab_engine::Subscriber;
use foldlab_store::EventStore;
use std::num::NonZeroU64;

/// How big a generated run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Steps before the final "deliver all".
    pub steps: usize,
    /// Customers created at most.
    pub max_customers: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            steps: 30,
            max_customers: 4,
        }
    }
}

/// Draws steps. It remembers how many ids it has handed out; everything else it reads from the
/// lab (keeping the aggregates folded from the log, so as to fold only the events new since).
pub struct Generator {
    rng: Rng,
    settings: Settings,
    snapshots: SnapshotPolicy,
    customers: u64,
    orders: u64,
    model: WriteModel,
    folded: u64,
}

impl Generator {
    /// A generator for `seed`. Its first draws decide the run's snapshot policy.
    pub fn new(seed: u64, settings: Settings) -> Self {
        let mut rng = Rng::new(seed);
        // Each type keeps snapshots in half the runs, every 1 to 4 events: often enough that
        // loads start from a snapshot while commands race and services crash around it.
        let mut every = || {
            rng.chance(50)
                .then(|| NonZeroU64::MIN.saturating_add(rng.below(4)))
        };
        let snapshots = SnapshotPolicy {
            customer: every(),
            order: every(),
        };
        Generator {
            rng,
            settings,
            snapshots,
            customers: 0,
            orders: 0,
            model: WriteModel::default(),
            folded: 0,
        }
    }

    /// Draws with every aggregate as the log folds it now.
    async fn with_model<T, S: EventStore>(
        &mut self,
        harness: &Harness<S>,
        draw: impl FnOnce(&mut Self, &WriteModel) -> T,
    ) -> Result<T, Violation> {
        let new = harness
            .engine()
            .store()
            .read_all(self.folded, usize::MAX)
            .await
            .map_err(|e| Violation(format!("the log cannot be read: {e}")))?;
        for event in &new {
            self.model.apply(event);
            self.folded = event.event_id;
        }
        // Taken out while `draw` has the generator itself.
        let model = std::mem::take(&mut self.model);
        let drawn = draw(self, &model);
        self.model = model;
        Ok(drawn)
    }

    /// The snapshot policy the run is to use (the harness is set up with it before the first step).
    pub fn snapshots(&self) -> SnapshotPolicy {
        self.snapshots
    }

    /// The next step for the lab as it stands.
    pub async fn next<S: EventStore>(&mut self, harness: &Harness<S>) -> Result<Step, Violation> {
        let roll = self.rng.below(100);
        Ok(match roll {
            0..=10 => self.create_customer(),
            // Until a customer exists nearly every order would be refused, which tests little.
            11..=32 if self.customers == 0 => self.create_customer(),
            11..=32 => self.place_order(),
            33..=40 => self.with_model(harness, Self::cancel_order).await?,
            41..=47 => self.with_model(harness, Self::ship_order).await?,
            48..=51 => self.with_model(harness, Self::change_credit_limit).await?,
            // Rare: a deleted customer takes no more orders, which would leave little else to do.
            52 => self.delete_customer(),
            53..=66 => Step::Deliver(Deliver::Next(1 + self.rng.below(2) as u32)),
            67..=75 => match self.pending_subscriber(harness).await? {
                Some(subscriber) => Step::Deliver(Deliver::To {
                    subscriber,
                    count: 1 + self.rng.below(2) as u32,
                }),
                None => self.place_order(),
            },
            76..=82 => match self.redelivery(harness).await? {
                Some(step) => step,
                None => Step::Deliver(Deliver::Next(1)),
            },
            83..=90 => match self.pending_subscriber(harness).await? {
                Some(subscriber) => Step::Crash(Crash { subscriber }),
                None => self.place_order(),
            },
            91..=96 => self.race(harness).await?,
            _ => Step::Deliver(Deliver::All),
        })
    }

    fn create_customer(&mut self) -> Step {
        // Now and then an id that exists: the aggregate must refuse it.
        let n = if self.customers >= self.settings.max_customers || self.rng.chance(5) {
            1 + self.rng.below(self.customers.max(1))
        } else {
            self.customers += 1;
            self.customers
        };
        Step::CreateCustomer(CreateCustomer {
            id: format!("c{n}"),
            name: None,
            limit_cents: 100 * self.rng.between(10, 50),
        })
    }

    fn place_order(&mut self) -> Step {
        // Mostly a customer that exists; sometimes one that does not (yet), or an order id reused.
        let customer = self.any_customer();
        let order = if self.orders > 0 && self.rng.chance(3) {
            1 + self.rng.below(self.orders)
        } else {
            self.orders += 1;
            self.orders
        };
        Step::PlaceOrder(PlaceOrder {
            id: format!("o{order}"),
            customer,
            total_cents: 100 * self.rng.between(1, 30),
        })
    }

    /// An order id handed out before, or, now and then, one never placed.
    fn any_order(&mut self) -> String {
        let n = if self.rng.chance(10) {
            self.orders + 1
        } else {
            1 + self.rng.below(self.orders.max(1))
        };
        format!("o{n}")
    }

    /// Mostly an order whose status is one of `statuses` (so the command is likely to be carried
    /// out); otherwise, or when there is none, any order id, which the command may well refuse.
    fn order_in(&mut self, model: &WriteModel, statuses: &[OrderStatus]) -> String {
        let fitting: Vec<String> = model
            .order_order
            .iter()
            .filter(|id| {
                model.orders[*id]
                    .order()
                    .is_some_and(|o| statuses.contains(&o.status))
            })
            .map(|id| id.as_str().to_string())
            .collect();
        match self
            .rng
            .chance(85)
            .then(|| self.rng.pick(&fitting))
            .flatten()
        {
            Some(id) => id.clone(),
            None => self.any_order(),
        }
    }

    /// A customer id handed out before, or, now and then, one not created (yet).
    fn any_customer(&mut self) -> String {
        let n = if self.rng.chance(10) {
            self.customers + 1
        } else {
            1 + self.rng.below(self.customers.max(1))
        };
        format!("c{n}")
    }

    fn cancel_order(&mut self, model: &WriteModel) -> Step {
        let id = self.order_in(model, &[OrderStatus::New, OrderStatus::Approved]);
        Step::CancelOrder(CancelOrder { id })
    }

    fn ship_order(&mut self, model: &WriteModel) -> Step {
        let id = self.order_in(model, &[OrderStatus::Approved]);
        Step::ShipOrder(ShipOrder { id })
    }

    /// A new limit around what the customer has reserved: above it, exactly it (the tightest limit
    /// allowed), below it (refused), the same limit (refused) or nothing at all (refused).
    fn change_credit_limit(&mut self, model: &WriteModel) -> Step {
        let id = self.any_customer();
        let (limit, reserved) = model
            .customers
            .get(&CustomerId::new(&id))
            .and_then(|state| state.customer())
            .map_or((0, 0), |c| (c.credit_limit.cents(), c.reserved().cents()));
        let limit_cents = match self.rng.below(10) {
            0..=3 => 100 * self.rng.between(5, 60),
            4..=5 if reserved > 0 => reserved,
            6..=7 if reserved > 0 => reserved - 100 * self.rng.between(0, 5) - 1,
            8 if limit > 0 => limit,
            9 => -100 * self.rng.between(0, 1),
            _ => reserved + 100 * self.rng.between(1, 10),
        };
        Step::ChangeCreditLimit(ChangeCreditLimit { id, limit_cents })
    }

    fn delete_customer(&mut self) -> Step {
        Step::DeleteCustomer(DeleteCustomer {
            id: self.any_customer(),
        })
    }

    async fn pending_subscriber<S: EventStore>(
        &mut self,
        harness: &Harness<S>,
    ) -> Result<Option<Subscriber>, Violation> {
        let pending: Vec<Subscriber> = harness
            .engine()
            .pending_deliveries()
            .await
            .map_err(|e| Violation(format!("pending deliveries cannot be read: {e}")))?
            .into_iter()
            .map(|d| d.subscriber)
            .collect();
        Ok(self.rng.pick(&pending).copied())
    }

    /// An event the subscriber has handled (it subscribes to it and it is at or below its
    /// checkpoint), to deliver again.
    async fn redelivery<S: EventStore>(
        &mut self,
        harness: &Harness<S>,
    ) -> Result<Option<Step>, Violation> {
        let positions = harness
            .engine()
            .positions()
            .await
            .map_err(|e| Violation(format!("checkpoints cannot be read: {e}")))?;
        let log = harness.log().await?;
        let handled: Vec<(Subscriber, u64)> = positions
            .iter()
            .flat_map(|&(subscriber, position)| {
                log.iter()
                    .filter(move |e| e.event_id <= position && subscriber.subscribes_to(e))
                    .map(move |e| (subscriber, e.event_id))
            })
            .collect();
        Ok(self.rng.pick(&handled).map(|&(subscriber, event_id)| {
            Step::DeliverAgain(Redeliver {
                subscriber,
                event_id,
            })
        }))
    }

    /// Two or three things at once: commands, and deliveries or crashes of distinct subscribers.
    async fn race<S: EventStore>(&mut self, harness: &Harness<S>) -> Result<Step, Violation> {
        let mut steps = Vec::new();
        let mut busy = Vec::new();
        let size = 2 + self.rng.below(2);
        for _ in 0..size {
            let roll = self.rng.below(20);
            let subscriber = self
                .pending_subscriber(harness)
                .await?
                .filter(|s| !busy.contains(s));
            let step = match (roll, subscriber) {
                (0..=3, Some(subscriber)) => Step::Deliver(Deliver::To {
                    subscriber,
                    count: 1,
                }),
                (4, Some(subscriber)) => Step::Crash(Crash { subscriber }),
                (5, _) => self.create_customer(),
                // The user's cancel against the Order service's decision or the Customer
                // service's reservation; a shipment against a cancellation.
                (6, _) => self.with_model(harness, Self::cancel_order).await?,
                (7, _) => self.with_model(harness, Self::ship_order).await?,
                // A new limit against a reservation for the same customer.
                (8, _) => match steps.last() {
                    Some(Step::PlaceOrder(previous)) => {
                        let customer = previous.customer.clone();
                        match self.with_model(harness, Self::change_credit_limit).await? {
                            Step::ChangeCreditLimit(change) => {
                                Step::ChangeCreditLimit(ChangeCreditLimit {
                                    id: customer,
                                    ..change
                                })
                            }
                            other => other,
                        }
                    }
                    _ => self.with_model(harness, Self::change_credit_limit).await?,
                },
                // A deletion against a reservation (rarely: a deleted customer takes no more).
                (9, _) => self.delete_customer(),
                // Racing orders for one customer: the same customer as the previous order.
                _ => match steps.last() {
                    Some(Step::PlaceOrder(previous)) => {
                        let customer = previous.customer.clone();
                        match self.place_order() {
                            Step::PlaceOrder(order) => {
                                Step::PlaceOrder(PlaceOrder { customer, ..order })
                            }
                            other => other,
                        }
                    }
                    _ => self.place_order(),
                },
            };
            if let Some(worker) = step.worker() {
                busy.push(worker);
            }
            steps.push(step);
        }
        Ok(Step::Race(steps))
    }
}
