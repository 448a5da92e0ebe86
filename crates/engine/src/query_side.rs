//! The lab's query side in one place: a projector for each projection, listed by name with its lag,
//! and switched (paused, slowed, stepped, caught up, rebuilt) by name, so a UI can show them all
//! without knowing each view's type. The customer view is among them; the engine delivers to it as
//! one of its subscribers, while the others move only when their projector is told to.

use crate::projector::{
    CatchUp, Lag, Progress, ProjectionStatus, Projector, ProjectorControl, ProjectorError,
};
use foldlab_domain::{
    CustomerViewProjection, LowCreditLimitProjection, Money, NewCustomersProjection,
    OrderHistoryProjection,
};
use foldlab_store::EventStore;

/// A credit limit below $1,000.00 is low.
pub const LOW_CREDIT_LIMIT: Money = Money::from_cents(100_000);

/// A customer is new for 50 events after its creation.
pub const NEW_CUSTOMER_WINDOW: u64 = 50;

/// An order whose own total is more than $1,000.00 is of high value (the article's
/// `o.ORDER_TOTAL > 100000`, in cents).
pub const HIGH_VALUE_ORDERS: Money = Money::from_cents(100_000);

/// Every projection the lab keeps, each with its projector.
#[derive(Debug)]
pub struct QuerySide {
    /// The customer view (Part 2 of the article, "Implementing Queries Using CQRS").
    pub customer_view: Projector<CustomerViewProjection>,
    /// Every customer's orders and their status changes.
    pub order_history: Projector<OrderHistoryProjection>,
    /// Customers whose credit limit is below [`LOW_CREDIT_LIMIT`].
    pub low_credit_limit: Projector<LowCreditLimitProjection>,
    /// The orders of customers created within [`NEW_CUSTOMER_WINDOW`] events whose own total is
    /// more than [`HIGH_VALUE_ORDERS`].
    pub new_customers: Projector<NewCustomersProjection>,
}

impl Default for QuerySide {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `$body` with `$projector` bound to the projector named `$name`, whatever its type.
macro_rules! by_name {
    ($query:expr, $name:expr, |$projector:ident| $body:expr) => {
        match $name {
            CustomerViewProjection::NAME => {
                let $projector = &$query.customer_view;
                $body
            }
            OrderHistoryProjection::NAME => {
                let $projector = &$query.order_history;
                $body
            }
            LowCreditLimitProjection::NAME => {
                let $projector = &$query.low_credit_limit;
                $body
            }
            NewCustomersProjection::NAME => {
                let $projector = &$query.new_customers;
                $body
            }
            other => Err(ProjectorError::UnknownProjection(other.to_string())),
        }
    };
}

impl QuerySide {
    /// Every projection, running, with the lab's thresholds.
    pub fn new() -> Self {
        Self {
            customer_view: Projector::new(CustomerViewProjection),
            order_history: Projector::new(OrderHistoryProjection),
            low_credit_limit: Projector::new(LowCreditLimitProjection {
                threshold: LOW_CREDIT_LIMIT,
            }),
            new_customers: Projector::new(NewCustomersProjection {
                window: NEW_CUSTOMER_WINDOW,
                threshold: HIGH_VALUE_ORDERS,
            }),
        }
    }

    /// Every projector's settings, in the order a UI lists them.
    pub fn controls(&self) -> [&dyn ProjectorControl; 4] {
        [
            &self.customer_view,
            &self.order_history,
            &self.low_credit_limit,
            &self.new_customers,
        ]
    }

    /// The settings of the projector named `name`.
    pub fn control(&self, name: &str) -> Option<&dyn ProjectorControl> {
        self.controls().into_iter().find(|c| c.name() == name)
    }

    /// Every projection's name, label, lag and settings, in the order of [`QuerySide::controls`].
    pub async fn statuses<S: EventStore>(
        &self,
        store: &S,
    ) -> Result<Vec<ProjectionStatus>, ProjectorError> {
        // Read at once (see `Engine::positions`).
        let (customer_view, order_history, low_credit_limit, new_customers) =
            futures::future::try_join4(
                self.customer_view.status(store),
                self.order_history.status(store),
                self.low_credit_limit.status(store),
                self.new_customers.status(store),
            )
            .await?;
        Ok(vec![
            customer_view,
            order_history,
            low_credit_limit,
            new_customers,
        ])
    }

    /// Reads every projection's saved view back, so that one that cannot be read is found now
    /// (reading the lag does not parse the views).
    pub async fn check_views<S: EventStore>(&self, store: &S) -> Result<(), ProjectorError> {
        self.customer_view.read_back(store).await?;
        self.order_history.read_back(store).await?;
        self.low_credit_limit.read_back(store).await?;
        self.new_customers.read_back(store).await?;
        Ok(())
    }

    /// How far the projection named `name` is behind.
    pub async fn lag<S: EventStore>(&self, name: &str, store: &S) -> Result<Lag, ProjectorError> {
        by_name!(self, name, |projector| projector.lag(store).await)
    }

    /// Applies the next event to the projection named `name` (see [`Projector::step`]).
    pub async fn step<S: EventStore>(
        &self,
        name: &str,
        store: &S,
    ) -> Result<Progress, ProjectorError> {
        by_name!(self, name, |projector| projector.step(store).await)
    }

    /// Catches the projection named `name` up (see [`Projector::catch_up`]).
    pub async fn catch_up<S: EventStore>(
        &self,
        name: &str,
        store: &S,
    ) -> Result<CatchUp, ProjectorError> {
        by_name!(self, name, |projector| projector.catch_up(store).await)
    }

    /// Saves the view of the projection named `name` again (see [`Projector::resave`]).
    pub async fn resave<S: EventStore>(&self, name: &str, store: &S) -> Result<(), ProjectorError> {
        by_name!(self, name, |projector| projector.resave(store).await)
    }

    /// Rebuilds the projection named `name` from position 0 (see [`Projector::rebuild`]).
    pub async fn rebuild<S: EventStore>(
        &self,
        name: &str,
        store: &S,
    ) -> Result<CatchUp, ProjectorError> {
        by_name!(self, name, |projector| projector.rebuild(store).await)
    }

    /// Waits until the projection named `name` has applied `position` (see
    /// [`Projector::wait_until_applied`]).
    pub async fn wait_until_applied<S: EventStore>(
        &self,
        name: &str,
        store: &S,
        position: u64,
    ) -> Result<u64, ProjectorError> {
        by_name!(self, name, |projector| projector
            .wait_until_applied(store, position)
            .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldlab_domain::customer::CustomerCreated;
    use foldlab_domain::{CustomerEvent, DomainEvent, Metadata};
    use foldlab_store::MemoryStore;
    use futures::executor::block_on;

    fn store_with_customers(n: usize) -> MemoryStore {
        let store = MemoryStore::new();
        for i in 0..n {
            let created = CustomerEvent::Created(CustomerCreated {
                name: format!("Customer {i}"),
                credit_limit: Money::from_cents(500),
            });
            block_on(store.append(
                &foldlab_store::StreamId::new("Customer", format!("c{i}")),
                foldlab_store::ExpectedVersion::NoStream,
                vec![created.to_new_event(i as i64 * 1_000, Metadata::default())],
            ))
            .expect("append");
        }
        store
    }

    #[test]
    fn every_projection_is_listed_with_its_lag() {
        let store = store_with_customers(3);
        let query = QuerySide::new();
        block_on(query.catch_up(OrderHistoryProjection::NAME, &store)).expect("catch up");
        let listed: Vec<(String, u64, Option<i64>)> = block_on(query.statuses(&store))
            .expect("statuses")
            .into_iter()
            .map(|s| (s.name, s.lag.events_behind, s.lag.stale_since))
            .collect();
        // Stale since the first event stored (recorded at 0), which they have not applied.
        assert_eq!(
            listed,
            vec![
                ("customer-view".to_string(), 3, Some(0)),
                ("order-history".to_string(), 0, None),
                ("low-credit-limit".to_string(), 3, Some(0)),
                ("new-customers-high-value-orders".to_string(), 3, Some(0)),
            ]
        );
    }

    #[test]
    fn a_projection_is_paused_stepped_and_rebuilt_by_name() {
        let store = store_with_customers(2);
        let query = QuerySide::new();
        let name = LowCreditLimitProjection::NAME;
        let control = query.control(name).expect("listed");
        control.pause();
        control.set_delay_ms(200);
        assert!(query.low_credit_limit.is_paused());
        assert_eq!(block_on(query.step(name, &store)), Ok(Progress::Paused));
        control.resume();
        assert!(matches!(
            block_on(query.step(name, &store)),
            Ok(Progress::Applied { event_id: 1, .. })
        ));
        assert_eq!(block_on(query.wait_until_applied(name, &store, 2)), Ok(2));
        let rebuilt = block_on(query.rebuild(name, &store)).expect("rebuild");
        assert_eq!((rebuilt.applied, rebuilt.position), (2, 2));
        let state = block_on(query.low_credit_limit.state(&store)).expect("state");
        assert_eq!(state.customers().len(), 2);
        assert_eq!(query.low_credit_limit.delay_ms(), 200);
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_panic() {
        let store = MemoryStore::new();
        let query = QuerySide::new();
        assert!(query.control("nope").is_none());
        assert_eq!(
            block_on(query.lag("nope", &store)),
            Err(ProjectorError::UnknownProjection("nope".into()))
        );
    }
}
