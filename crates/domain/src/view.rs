//! The query side's customer view (Part 2 of the article, "Using CQRS": the Customer View Service):
//! one document per customer with its details, available credit and recent orders — a join across
//! two services' data that the event store, which looks events up by aggregate, does not answer
//! simply or efficiently. It is built only from events and remembers the highest `event_id` it has
//! applied, so a redelivered event is recognised and discarded.

use crate::codec::{DecodeError, StoredEvent};
use crate::customer::CustomerEvent;
use crate::envelope::EventEnvelope;
use crate::ids::{CustomerId, OrderId};
use crate::money::Money;
use crate::order::{OrderEvent, OrderStatus};
use crate::parts::{DocumentMap, DocumentParts, GroupedMap, InParts};
// Where the outcome of applying an event lived before every view became a projection.
pub use crate::projection::ApplyOutcome;
use crate::projection::Projection;
use serde::{Deserialize, Serialize};

/// How many recent orders each customer document keeps.
pub const RECENT_ORDERS: usize = 10;

/// An order as the customer view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order.
    pub order_id: OrderId,
    /// Its total.
    pub total: Money,
    /// Its status as far as the view knows.
    pub status: OrderStatus,
}

/// One customer document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    /// The customer.
    pub customer_id: CustomerId,
    /// Display name.
    pub name: String,
    /// Credit limit.
    pub credit_limit: Money,
    /// Limit minus reserved credit, as far as the view knows.
    pub available_credit: Money,
    /// The newest orders first, at most [`RECENT_ORDERS`].
    pub recent_orders: Vec<OrderSummary>,
    /// Whether the customer was deleted. The document stays, as the customer's events do; the field
    /// defaults to `false` so that a view saved before it existed still loads.
    #[serde(default)]
    pub deleted: bool,
}

/// The customer view: all documents, plus what it needs to place order events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerViews {
    /// The highest `event_id` applied so far (0 before any).
    pub last_event_id: u64,
    /// One document per customer.
    pub customers: DocumentMap<CustomerId, CustomerView>,
    /// Which customer each order belongs to (OrderApproved does not repeat it).
    pub order_owner: GroupedMap<OrderId, CustomerId>,
}

impl InParts for CustomerViews {
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

/// The customer view as a [`Projection`]: its checkpoint is the one the engine has always saved
/// the view under, so a view saved before projections existed loads unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CustomerViewProjection;

impl CustomerViewProjection {
    /// The name the customer view's checkpoint is saved under.
    pub const NAME: &'static str = "customer-view";
    /// Where this view would live outside the browser, in the words the lab shows.
    pub const STORE_KIND: &'static str = "Outside the browser, this view would live in a document store such as MongoDB, one document per customer (Part 2, Using CQRS, Table 1).";
}

impl Projection for CustomerViewProjection {
    type State = CustomerViews;

    fn name(&self) -> &str {
        Self::NAME
    }

    fn label(&self) -> &str {
        "Customer view"
    }

    fn initial_state(&self) -> CustomerViews {
        CustomerViews::default()
    }

    fn last_event_id(state: &CustomerViews) -> u64 {
        state.last_event_id
    }

    fn record_event_id(state: &mut CustomerViews, event_id: u64) {
        state.last_event_id = event_id;
    }

    fn evolve(&self, state: &mut CustomerViews, _: &EventEnvelope, event: StoredEvent) -> bool {
        state.apply_event(event)
    }
}

impl CustomerViews {
    /// Applies one stored event, at most once (see [`Projection::apply`]).
    pub fn apply(&mut self, envelope: &EventEnvelope) -> Result<ApplyOutcome, DecodeError> {
        CustomerViewProjection.apply(self, envelope)
    }

    fn apply_event(&mut self, event: StoredEvent) -> bool {
        match event {
            StoredEvent::Customer(customer_id, CustomerEvent::Created(created)) => {
                self.customers.insert(
                    customer_id.clone(),
                    CustomerView {
                        customer_id,
                        name: created.name,
                        credit_limit: created.credit_limit,
                        available_credit: created.credit_limit,
                        recent_orders: Vec::new(),
                        deleted: false,
                    },
                );
                true
            }
            StoredEvent::Customer(customer_id, CustomerEvent::CreditReserved(reserved)) => self
                .update(&customer_id, |view| {
                    view.available_credit = view.available_credit - reserved.amount;
                }),
            StoredEvent::Customer(customer_id, CustomerEvent::CreditReleased(released)) => self
                .update(&customer_id, |view| {
                    view.available_credit = view.available_credit + released.amount;
                }),
            StoredEvent::Customer(customer_id, CustomerEvent::CreditLimitChanged(changed)) => self
                .update(&customer_id, |view| {
                    // What is reserved does not change, so available credit moves with the limit.
                    view.available_credit =
                        view.available_credit + changed.new_limit - view.credit_limit;
                    view.credit_limit = changed.new_limit;
                }),
            StoredEvent::Customer(customer_id, CustomerEvent::Deleted) => {
                self.update(&customer_id, |view| view.deleted = true)
            }
            StoredEvent::Customer(
                _,
                CustomerEvent::CreditLimitExceeded(_) | CustomerEvent::CreditReservationRefused(_),
            ) => false,
            StoredEvent::Order(order_id, OrderEvent::Created(created)) => {
                self.order_owner
                    .insert(order_id.clone(), created.customer_id.clone());
                match self.customers.get_mut(&created.customer_id) {
                    Some(view) => {
                        view.recent_orders.insert(
                            0,
                            OrderSummary {
                                order_id,
                                total: created.total(),
                                status: OrderStatus::New,
                            },
                        );
                        view.recent_orders.truncate(RECENT_ORDERS);
                        true
                    }
                    None => false,
                }
            }
            StoredEvent::Order(order_id, OrderEvent::Approved) => {
                self.set_status(&order_id, OrderStatus::Approved)
            }
            StoredEvent::Order(order_id, OrderEvent::Cancelled(_)) => {
                self.set_status(&order_id, OrderStatus::Cancelled)
            }
            StoredEvent::Order(order_id, OrderEvent::Shipped) => {
                self.set_status(&order_id, OrderStatus::Shipped)
            }
        }
    }

    /// Changes one customer's document; `false` when the view has no such customer.
    fn update(&mut self, customer_id: &CustomerId, change: impl FnOnce(&mut CustomerView)) -> bool {
        match self.customers.get_mut(customer_id) {
            Some(view) => {
                change(view);
                true
            }
            None => false,
        }
    }

    fn set_status(&mut self, order_id: &OrderId, status: OrderStatus) -> bool {
        let Some(customer_id) = self.order_owner.get(order_id) else {
            return false;
        };
        let Some(view) = self.customers.get_mut(customer_id) else {
            return false;
        };
        match view
            .recent_orders
            .iter_mut()
            .find(|o| &o.order_id == order_id)
        {
            Some(order) => {
                order.status = status;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{
        CreditLimitChanged, CreditReleased, CreditReservationRefused, CreditReserved,
        CustomerCreated,
    };
    use crate::order::{CancelReason, LineItem, OrderCancelled, OrderCreated};
    use crate::testing::envelope;

    fn history() -> Vec<EventEnvelope> {
        vec![
            envelope(
                1,
                "c1",
                CustomerEvent::Created(CustomerCreated {
                    name: "Ada".into(),
                    credit_limit: Money::from_cents(1_000),
                }),
            ),
            envelope(
                2,
                "o1",
                OrderEvent::Created(OrderCreated {
                    customer_id: CustomerId::new("c1"),
                    line_items: vec![LineItem::new("pen", 3, Money::from_cents(100))],
                }),
            ),
            envelope(
                3,
                "c1",
                CustomerEvent::CreditReserved(CreditReserved {
                    order_id: OrderId::new("o1"),
                    amount: Money::from_cents(300),
                }),
            ),
            envelope(4, "o1", OrderEvent::Approved),
        ]
    }

    #[test]
    fn it_joins_customers_and_their_orders() {
        let mut views = CustomerViews::default();
        for e in history() {
            assert_eq!(views.apply(&e), Ok(ApplyOutcome::Updated));
        }
        let ada = &views.customers[&CustomerId::new("c1")];
        assert_eq!(ada.available_credit, Money::from_cents(700));
        assert_eq!(ada.recent_orders.len(), 1);
        assert_eq!(ada.recent_orders[0].status, OrderStatus::Approved);
        assert_eq!(views.last_event_id, 4);
    }

    #[test]
    fn it_discards_a_redelivered_event() {
        let mut views = CustomerViews::default();
        for e in history() {
            views.apply(&e).expect("applies");
        }
        let before = views.clone();
        assert_eq!(views.apply(&history()[2]), Ok(ApplyOutcome::Duplicate));
        assert_eq!(views, before, "credit is not reserved twice");
    }

    fn ada(views: &CustomerViews) -> &CustomerView {
        &views.customers[&CustomerId::new("c1")]
    }

    fn after(events: Vec<EventEnvelope>) -> CustomerViews {
        let mut views = CustomerViews::default();
        for e in history().into_iter().chain(events) {
            assert_ne!(views.apply(&e), Ok(ApplyOutcome::Duplicate));
        }
        views
    }

    #[test]
    fn a_users_cancellation_and_its_release_give_the_credit_back() {
        let views = after(vec![
            envelope(
                5,
                "o1",
                OrderEvent::Cancelled(OrderCancelled {
                    reason: CancelReason::UserRequested,
                    customer_id: Some(CustomerId::new("c1")),
                }),
            ),
            envelope(
                6,
                "c1",
                CustomerEvent::CreditReleased(CreditReleased {
                    order_id: OrderId::new("o1"),
                    amount: Money::from_cents(300),
                }),
            ),
        ]);
        assert_eq!(ada(&views).available_credit, Money::from_cents(1_000));
        assert_eq!(ada(&views).recent_orders[0].status, OrderStatus::Cancelled);
    }

    #[test]
    fn a_shipped_order_is_shown_shipped_and_its_credit_stays_used() {
        let views = after(vec![envelope(5, "o1", OrderEvent::Shipped)]);
        assert_eq!(ada(&views).recent_orders[0].status, OrderStatus::Shipped);
        assert_eq!(ada(&views).available_credit, Money::from_cents(700));
    }

    #[test]
    fn a_new_limit_moves_the_available_credit_by_the_difference() {
        let views = after(vec![envelope(
            5,
            "c1",
            CustomerEvent::CreditLimitChanged(CreditLimitChanged {
                new_limit: Money::from_cents(400),
            }),
        )]);
        assert_eq!(ada(&views).credit_limit, Money::from_cents(400));
        assert_eq!(ada(&views).available_credit, Money::from_cents(100));
    }

    #[test]
    fn a_deleted_customer_keeps_its_document_marked_deleted() {
        let mut views = after(vec![envelope(5, "c1", CustomerEvent::Deleted)]);
        assert!(ada(&views).deleted);
        assert_eq!(ada(&views).recent_orders.len(), 1);
        let refused = envelope(
            6,
            "c1",
            CustomerEvent::CreditReservationRefused(CreditReservationRefused {
                order_id: OrderId::new("o2"),
                amount: Money::from_cents(5),
            }),
        );
        assert_eq!(views.apply(&refused), Ok(ApplyOutcome::Ignored));
    }

    #[test]
    fn a_view_saved_before_deletion_existed_still_loads() {
        let saved = r#"{"last_event_id":1,"customers":{"c1":{"customer_id":"c1","name":"Ada","credit_limit":100,"available_credit":100,"recent_orders":[]}},"order_owner":{}}"#;
        let views: CustomerViews = serde_json::from_str(saved).expect("loads");
        assert!(!ada(&views).deleted);
    }
}
