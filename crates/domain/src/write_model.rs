//! The command side's current state, folded from a whole log: every Customer and Order aggregate as
//! its own fold over its own events. The lab shows it beside the query side's customer view, so the
//! difference between the two (the view's lag) is visible.

use crate::codec::{decode, DecodeError, StoredEvent};
use crate::customer::{CustomerDecider, CustomerState};
use crate::decider::Decider;
use crate::envelope::EventEnvelope;
use crate::ids::{CustomerId, OrderId};
use crate::order::{OrderDecider, OrderState};
use std::collections::BTreeMap;

/// Every aggregate's state as of the last event folded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteModel {
    /// Customers, by id.
    pub customers: BTreeMap<CustomerId, CustomerState>,
    /// Orders, by id.
    pub orders: BTreeMap<OrderId, OrderState>,
    /// Customers in the order they were created (ids sort randomly).
    pub customer_order: Vec<CustomerId>,
    /// Orders in the order they were placed.
    pub order_order: Vec<OrderId>,
    /// Events that could not be read, by `event_id`; they are left out of the fold.
    pub unreadable: Vec<(u64, DecodeError)>,
}

impl WriteModel {
    /// Folds a log (in `event_id` order) into every aggregate's state.
    pub fn from_log<'a>(events: impl IntoIterator<Item = &'a EventEnvelope>) -> Self {
        let mut model = WriteModel::default();
        for envelope in events {
            model.apply(envelope);
        }
        model
    }

    /// Folds one more event, the next in `event_id` order, into its aggregate's state.
    pub fn apply(&mut self, envelope: &EventEnvelope) {
        match decode(envelope) {
            Ok(StoredEvent::Customer(id, event)) => {
                let state = self.customers.remove(&id).unwrap_or_else(|| {
                    self.customer_order.push(id.clone());
                    CustomerDecider::initial_state()
                });
                self.customers
                    .insert(id, CustomerDecider::evolve(state, &event));
            }
            Ok(StoredEvent::Order(id, event)) => {
                let state = self.orders.remove(&id).unwrap_or_else(|| {
                    self.order_order.push(id.clone());
                    OrderDecider::initial_state()
                });
                self.orders.insert(id, OrderDecider::evolve(state, &event));
            }
            Err(error) => self.unreadable.push((envelope.event_id, error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{
        CreditLimitChanged, CreditReleased, CreditReservationRefused, CreditReserved,
        CustomerCreated, CustomerEvent,
    };
    use crate::money::Money;
    use crate::order::{
        CancelReason, LineItem, OrderCancelled, OrderCreated, OrderEvent, OrderStatus,
    };
    use crate::testing::envelope;

    #[test]
    fn it_folds_each_aggregate_from_its_own_events_and_reports_unreadable_ones() {
        let mut bad = envelope(4, "o9", OrderEvent::Approved);
        bad.event_type = "OrderTeleported".into();
        let log = vec![
            envelope(
                1,
                "zed",
                CustomerEvent::Created(CustomerCreated {
                    name: "Zed".into(),
                    credit_limit: Money::from_cents(100),
                }),
            ),
            envelope(
                2,
                "o1",
                OrderEvent::Created(OrderCreated {
                    customer_id: CustomerId::new("zed"),
                    line_items: vec![LineItem::whole_order(Money::from_cents(60))],
                }),
            ),
            envelope(
                3,
                "zed",
                CustomerEvent::CreditReserved(CreditReserved {
                    order_id: OrderId::new("o1"),
                    amount: Money::from_cents(60),
                }),
            ),
            bad,
            envelope(5, "o1", OrderEvent::Approved),
        ];
        let model = WriteModel::from_log(&log);
        let zed = model.customers[&CustomerId::new("zed")]
            .customer()
            .cloned()
            .expect("zed");
        assert_eq!(zed.available_credit(), Money::from_cents(40));
        assert_eq!(
            model.orders[&OrderId::new("o1")].order().map(|o| o.status),
            Some(OrderStatus::Approved)
        );
        assert_eq!(model.customer_order, vec![CustomerId::new("zed")]);
        assert_eq!(model.unreadable.len(), 1);
        assert_eq!(model.unreadable[0].0, 4);
    }

    #[test]
    fn it_folds_cancellations_releases_shipping_new_limits_and_deletions() {
        let ada = CustomerId::new("ada");
        let order = |cents: i64| {
            OrderEvent::Created(OrderCreated {
                customer_id: ada.clone(),
                line_items: vec![LineItem::whole_order(Money::from_cents(cents))],
            })
        };
        let reserved = |id: &str, cents: i64| {
            CustomerEvent::CreditReserved(CreditReserved {
                order_id: OrderId::new(id),
                amount: Money::from_cents(cents),
            })
        };
        let log = vec![
            envelope(
                1,
                "ada",
                CustomerEvent::Created(CustomerCreated {
                    name: "Ada".into(),
                    credit_limit: Money::from_cents(100),
                }),
            ),
            envelope(2, "o1", order(30)),
            envelope(3, "o2", order(50)),
            envelope(4, "ada", reserved("o1", 30)),
            envelope(5, "ada", reserved("o2", 50)),
            envelope(6, "o1", OrderEvent::Approved),
            envelope(7, "o2", OrderEvent::Approved),
            envelope(8, "o1", OrderEvent::Shipped),
            envelope(
                9,
                "o2",
                OrderEvent::Cancelled(OrderCancelled {
                    reason: CancelReason::UserRequested,
                    customer_id: Some(ada.clone()),
                }),
            ),
            envelope(
                10,
                "ada",
                CustomerEvent::CreditReleased(CreditReleased {
                    order_id: OrderId::new("o2"),
                    amount: Money::from_cents(50),
                }),
            ),
            envelope(
                11,
                "ada",
                CustomerEvent::CreditLimitChanged(CreditLimitChanged {
                    new_limit: Money::from_cents(200),
                }),
            ),
            envelope(12, "ada", CustomerEvent::Deleted),
            envelope(13, "o3", order(10)),
            envelope(
                14,
                "ada",
                CustomerEvent::CreditReservationRefused(CreditReservationRefused {
                    order_id: OrderId::new("o3"),
                    amount: Money::from_cents(10),
                }),
            ),
            envelope(
                15,
                "o3",
                OrderEvent::Cancelled(OrderCancelled {
                    reason: CancelReason::CustomerDeleted,
                    customer_id: Some(ada.clone()),
                }),
            ),
        ];
        let model = WriteModel::from_log(&log);
        assert!(model.unreadable.is_empty(), "{:?}", model.unreadable);
        let state = &model.customers[&ada];
        assert!(state.is_deleted());
        let customer = state.customer().expect("still readable");
        assert_eq!(customer.credit_limit, Money::from_cents(200));
        assert_eq!(customer.available_credit(), Money::from_cents(170));
        let status = |id: &str| model.orders[&OrderId::new(id)].order().map(|o| o.status);
        assert_eq!(status("o1"), Some(OrderStatus::Shipped));
        assert_eq!(status("o2"), Some(OrderStatus::Cancelled));
        assert_eq!(status("o3"), Some(OrderStatus::Cancelled));
    }
}
