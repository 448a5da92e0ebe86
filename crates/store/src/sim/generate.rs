//! Random steps from a seed: commands on a handful of customers, deliveries in any order the
//! subscribers allow, and faults. Each step is drawn against the lab as it is, so most are
//! meaningful (a redelivery names an event the subscriber has handled), yet each is plain data and
//! replays without the generator.

use super::harness::{Harness, Violation};
use super::rng::Rng;
use super::step::{Crash, CreateCustomer, Deliver, PlaceOrder, Redeliver, Step};
use crate::engine::Subscriber;

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

/// Draws steps. It remembers only how many ids it has handed out; everything else it reads from
/// the lab.
pub struct Generator {
    rng: Rng,
    settings: Settings,
    customers: u64,
    orders: u64,
}

impl Generator {
    /// A generator for `seed`.
    pub fn new(seed: u64, settings: Settings) -> Self {
        Generator {
            rng: Rng::new(seed),
            settings,
            customers: 0,
            orders: 0,
        }
    }

    /// The next step for the lab as it stands.
    pub async fn next(&mut self, harness: &Harness) -> Result<Step, Violation> {
        let roll = self.rng.below(100);
        Ok(match roll {
            0..=11 => self.create_customer(),
            12..=37 => self.place_order(),
            38..=59 => Step::Deliver(Deliver::Next(1 + self.rng.below(2) as u32)),
            60..=71 => match self.pending_subscriber(harness).await? {
                Some(subscriber) => Step::Deliver(Deliver::To {
                    subscriber,
                    count: 1 + self.rng.below(2) as u32,
                }),
                None => self.place_order(),
            },
            72..=80 => match self.redelivery(harness).await? {
                Some(step) => step,
                None => Step::Deliver(Deliver::Next(1)),
            },
            81..=89 => match self.pending_subscriber(harness).await? {
                Some(subscriber) => Step::Crash(Crash { subscriber }),
                None => self.place_order(),
            },
            90..=96 => self.race(harness).await?,
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
        let customer = 1 + self.rng.below(self.customers + 1);
        let order = if self.orders > 0 && self.rng.chance(3) {
            1 + self.rng.below(self.orders)
        } else {
            self.orders += 1;
            self.orders
        };
        Step::PlaceOrder(PlaceOrder {
            id: format!("o{order}"),
            customer: format!("c{customer}"),
            total_cents: 100 * self.rng.between(1, 30),
        })
    }

    async fn pending_subscriber(
        &mut self,
        harness: &Harness,
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
    async fn redelivery(&mut self, harness: &Harness) -> Result<Option<Step>, Violation> {
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
    async fn race(&mut self, harness: &Harness) -> Result<Step, Violation> {
        let mut steps = Vec::new();
        let mut busy = Vec::new();
        let size = 2 + self.rng.below(2);
        for _ in 0..size {
            let roll = self.rng.below(10);
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
