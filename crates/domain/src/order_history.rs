//! The order history (Part 2 of the article, "Using CQRS", Table 1: order history kept as one
//! document per customer holding their orders): per customer, every order it placed with each status
//! it went through, when, and why it was cancelled. The Order aggregate keeps only its current
//! status; the history of changes is in the log, and this view keeps it where a query can read it.

use crate::codec::StoredEvent;
use crate::customer::CustomerEvent;
use crate::envelope::EventEnvelope;
use crate::ids::{CustomerId, OrderId};
use crate::money::Money;
use crate::order::{CancelReason, LineItem, OrderEvent, OrderStatus};
use crate::parts::{DocumentMap, DocumentParts, GroupedMap, InParts};
use crate::projection::Projection;
use serde::{Deserialize, Serialize};

/// One status an order reached, and the event that brought it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The event's position in the log.
    pub event_id: u64,
    /// When it was stored, in milliseconds since the Unix epoch.
    pub recorded_at: i64,
    /// The status from then on.
    pub status: OrderStatus,
    /// Why, for a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<CancelReason>,
}

/// One order and every status it went through, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderHistory {
    /// The order.
    pub order_id: OrderId,
    /// What was ordered.
    pub line_items: Vec<LineItem>,
    /// Its total.
    pub total: Money,
    /// Its statuses, starting with NEW when it was placed.
    pub changes: Vec<StatusChange>,
}

impl OrderHistory {
    /// Where the order stands now, as far as the view knows.
    pub fn status(&self) -> OrderStatus {
        self.changes.last().map_or(OrderStatus::New, |c| c.status)
    }
}

/// The order history of every customer that placed an order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderHistories {
    /// The highest `event_id` applied so far (0 before any).
    pub last_event_id: u64,
    /// Each customer's orders, in the order they were placed.
    pub customers: DocumentMap<CustomerId, Vec<OrderHistory>>,
    /// Which customer each order belongs to: OrderApproved and OrderShipped do not repeat it.
    pub order_owner: GroupedMap<OrderId, CustomerId>,
}

impl InParts for OrderHistories {
    fn head(&self) -> String {
        serde_json::json!({"last_event_id": self.last_event_id, "customers": {}, "order_owner": self.order_owner.shape().in_head()})
            .to_string()
    }

    fn document_maps(&mut self) -> Vec<(&'static str, &mut dyn DocumentParts)> {
        vec![
            ("customers", &mut self.customers),
            ("order_owner", &mut self.order_owner),
        ]
    }
}

impl OrderHistories {
    /// A customer's orders, oldest first (none if it placed none).
    pub fn orders_of(&self, customer_id: &CustomerId) -> &[OrderHistory] {
        self.customers.get(customer_id).map_or(&[], Vec::as_slice)
    }

    /// One order's history.
    pub fn order(&self, order_id: &OrderId) -> Option<&OrderHistory> {
        let owner = self.order_owner.get(order_id)?;
        self.orders_of(owner)
            .iter()
            .find(|o| &o.order_id == order_id)
    }

    fn record(&mut self, order_id: &OrderId, change: StatusChange) -> bool {
        let Some(owner) = self.order_owner.get(order_id) else {
            return false;
        };
        let Some(orders) = self.customers.get_mut(owner) else {
            return false;
        };
        match orders.iter_mut().find(|o| &o.order_id == order_id) {
            Some(order) => {
                order.changes.push(change);
                true
            }
            None => false,
        }
    }
}

/// The order history as a projection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderHistoryProjection;

impl OrderHistoryProjection {
    /// The name its checkpoint is saved under.
    pub const NAME: &'static str = "order-history";
    /// Where this view would live outside the browser, in the words the lab shows.
    pub const STORE_KIND: &'static str = "Outside the browser, this view would live in a document store such as MongoDB or a key-value store such as Redis, looked up by customer id (Part 2, Using CQRS, Table 1).";
}

impl Projection for OrderHistoryProjection {
    type State = OrderHistories;

    fn name(&self) -> &str {
        Self::NAME
    }

    fn label(&self) -> &str {
        "Order history"
    }

    fn initial_state(&self) -> OrderHistories {
        OrderHistories::default()
    }

    fn last_event_id(state: &OrderHistories) -> u64 {
        state.last_event_id
    }

    fn record_event_id(state: &mut OrderHistories, event_id: u64) {
        state.last_event_id = event_id;
    }

    fn evolve(
        &self,
        state: &mut OrderHistories,
        envelope: &EventEnvelope,
        event: StoredEvent,
    ) -> bool {
        let change = |status, reason| StatusChange {
            event_id: envelope.event_id,
            recorded_at: envelope.recorded_at,
            status,
            reason,
        };
        match event {
            StoredEvent::Order(order_id, OrderEvent::Created(created)) => {
                state
                    .order_owner
                    .insert(order_id.clone(), created.customer_id.clone());
                let total = created.total();
                state
                    .customers
                    .get_or_default(created.customer_id)
                    .push(OrderHistory {
                        order_id,
                        line_items: created.line_items,
                        total,
                        changes: vec![change(OrderStatus::New, None)],
                    });
                true
            }
            StoredEvent::Order(order_id, OrderEvent::Approved) => {
                state.record(&order_id, change(OrderStatus::Approved, None))
            }
            StoredEvent::Order(order_id, OrderEvent::Cancelled(cancelled)) => state.record(
                &order_id,
                change(OrderStatus::Cancelled, Some(cancelled.reason)),
            ),
            StoredEvent::Order(order_id, OrderEvent::Shipped) => {
                state.record(&order_id, change(OrderStatus::Shipped, None))
            }
            // Credit is the customer's story; the order's answer to it (approved or cancelled)
            // arrives as an Order event.
            StoredEvent::Customer(
                _,
                CustomerEvent::Created(_)
                | CustomerEvent::CreditReserved(_)
                | CustomerEvent::CreditLimitExceeded(_)
                | CustomerEvent::CreditReservationRefused(_)
                | CustomerEvent::CreditReleased(_)
                | CustomerEvent::CreditLimitChanged(_)
                | CustomerEvent::Deleted,
            ) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::{project, ApplyOutcome};
    use crate::testing::Log;

    fn history(log: &Log) -> OrderHistories {
        let projection = OrderHistoryProjection;
        project(&projection, projection.initial_state(), log.events()).expect("folds")
    }

    fn statuses(histories: &OrderHistories, order: &str) -> Vec<(u64, OrderStatus)> {
        histories
            .order(&OrderId::new(order))
            .expect("the order is in the history")
            .changes
            .iter()
            .map(|c| (c.event_id, c.status))
            .collect()
    }

    /// Ada's three orders end three ways; Bob, deleted, is refused credit for his only one.
    fn story() -> Log {
        Log::new()
            .customer("c1", "Ada", 1_000)
            .order("o1", "c1", 300)
            .reserved("c1", "o1", 300)
            .approved("o1")
            .order("o2", "c1", 900)
            .exceeded("c1", "o2", 900, 700)
            .cancelled("o2", CancelReason::CreditLimitExceeded, "c1")
            .shipped("o1")
            .order("o3", "c1", 200)
            .reserved("c1", "o3", 200)
            .approved("o3")
            .cancelled("o3", CancelReason::UserRequested, "c1")
            .released("c1", "o3", 200)
            .limit_changed("c1", 500)
            .customer("c2", "Bob", 100)
            .deleted("c2")
            .order("o4", "c2", 50)
            .refused("c2", "o4", 50)
            .cancelled("o4", CancelReason::CustomerDeleted, "c2")
    }

    #[test]
    fn each_order_keeps_every_status_it_went_through_with_the_event_that_set_it() {
        let histories = history(&story());
        assert_eq!(
            statuses(&histories, "o1"),
            vec![
                (2, OrderStatus::New),
                (4, OrderStatus::Approved),
                (8, OrderStatus::Shipped)
            ]
        );
        assert_eq!(
            statuses(&histories, "o2"),
            vec![(5, OrderStatus::New), (7, OrderStatus::Cancelled)]
        );
        assert_eq!(
            statuses(&histories, "o3"),
            vec![
                (9, OrderStatus::New),
                (11, OrderStatus::Approved),
                (12, OrderStatus::Cancelled)
            ]
        );
    }

    #[test]
    fn orders_are_grouped_by_customer_in_the_order_they_were_placed() {
        let histories = history(&story());
        let ada: Vec<&str> = histories
            .orders_of(&CustomerId::new("c1"))
            .iter()
            .map(|o| o.order_id.as_str())
            .collect();
        assert_eq!(ada, vec!["o1", "o2", "o3"]);
        let bob = histories.orders_of(&CustomerId::new("c2"));
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].status(), OrderStatus::Cancelled);
        assert!(histories.orders_of(&CustomerId::new("nobody")).is_empty());
    }

    #[test]
    fn a_cancellation_says_why_and_when() {
        let histories = history(&story());
        let reasons: Vec<Option<CancelReason>> = ["o2", "o3", "o4"]
            .iter()
            .map(|o| {
                let order = histories.order(&OrderId::new(*o)).expect("order");
                order.changes.last().and_then(|c| c.reason)
            })
            .collect();
        assert_eq!(
            reasons,
            vec![
                Some(CancelReason::CreditLimitExceeded),
                Some(CancelReason::UserRequested),
                Some(CancelReason::CustomerDeleted)
            ]
        );
        let o3 = histories.order(&OrderId::new("o3")).expect("order");
        assert_eq!(o3.changes[2].recorded_at, 12_000);
        assert_eq!(o3.total, Money::from_cents(200));
    }

    #[test]
    fn customer_events_move_only_the_checkpoint() {
        let projection = OrderHistoryProjection;
        let mut state = projection.initial_state();
        let log = Log::new()
            .customer("c1", "Ada", 1_000)
            .limit_changed("c1", 5);
        for event in log.events() {
            assert_eq!(
                projection.apply(&mut state, event),
                Ok(ApplyOutcome::Ignored)
            );
        }
        assert_eq!(state.last_event_id, 2);
        assert!(state.customers.is_empty());
    }

    #[test]
    fn the_history_survives_its_json_checkpoint() {
        let histories = history(&story());
        let json = serde_json::to_string(&histories).expect("serializes");
        let back: OrderHistories = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, histories);
    }
}
