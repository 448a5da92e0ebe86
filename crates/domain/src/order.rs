//! The Order aggregate (seed 001): created `NEW` with its line items, then `APPROVED` when the
//! Customer reserves credit or `CANCELLED` when it refuses; the customer may cancel it until it ships,
//! and only an `APPROVED` order ships. The services' decision is made once.

use crate::decider::Decider;
use crate::ids::{CustomerId, ProductId};
use crate::money::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created, waiting for the Customer service to reserve credit.
    New,
    /// Credit was reserved.
    Approved,
    /// Credit could not be reserved, or the customer cancelled it.
    Cancelled,
    /// It left the warehouse; the credit reserved for it stays used.
    Shipped,
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrderStatus::New => "NEW",
            OrderStatus::Approved => "APPROVED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Shipped => "SHIPPED",
        })
    }
}

/// Why an order was cancelled. The first two are the Order service's answer to the Customer
/// service's refusal; the last is the user's own request, and only that one releases credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CancelReason {
    /// The Customer refused to reserve credit (CreditLimitExceeded).
    CreditLimitExceeded,
    /// The Customer was deleted and reserves no more credit (CreditReservationRefused).
    CustomerDeleted,
    /// The user cancelled the order (NEW or APPROVED) themselves.
    UserRequested,
}

impl CancelReason {
    /// Whether this is the Order service answering a refused credit reservation, which can only
    /// happen to a NEW order, as opposed to a person's request, which may come until it ships.
    pub const fn answers_a_refusal(self) -> bool {
        match self {
            CancelReason::CreditLimitExceeded | CancelReason::CustomerDeleted => true,
            CancelReason::UserRequested => false,
        }
    }
}

/// The product id of the one line an order placed by its total alone carries (the lab's form asks
/// for a total, not for line items).
pub const WHOLE_ORDER_PRODUCT: &str = "item";

/// The product id an upcast v1 OrderCreated carries: v1 stored only a total, so its one line says
/// it came from before line items existed.
pub const LEGACY_PRODUCT: &str = "legacy-item";

/// One line of an order (seed 001: an Order aggregate holds OrderLineItem value objects, which refer
/// to their Product by id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// What is ordered, by id.
    pub product_id: ProductId,
    /// How many.
    pub quantity: u32,
    /// The price of one, in cents.
    #[serde(rename = "unit_price_cents")]
    pub unit_price: Money,
}

impl LineItem {
    /// A line of `quantity` × `product_id` at `unit_price` each.
    pub fn new(product_id: impl Into<String>, quantity: u32, unit_price: Money) -> Self {
        Self {
            product_id: ProductId::new(product_id),
            quantity,
            unit_price,
        }
    }

    /// The one line of an order placed by its total alone: [`WHOLE_ORDER_PRODUCT`], quantity 1.
    pub fn whole_order(total: Money) -> Self {
        Self::new(WHOLE_ORDER_PRODUCT, 1, total)
    }

    /// Quantity × unit price.
    pub fn subtotal(&self) -> Money {
        self.unit_price.times(self.quantity)
    }
}

/// The sum of the lines' subtotals.
pub fn total_of(line_items: &[LineItem]) -> Money {
    line_items.iter().map(LineItem::subtotal).sum()
}

/// An order that exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Who placed it: a reference by id, not by object.
    pub customer_id: CustomerId,
    /// What was ordered.
    pub line_items: Vec<LineItem>,
    /// What it costs: the sum of the lines, kept so that readers need not add them up.
    pub total: Money,
    /// Where it stands.
    pub status: OrderStatus,
}

/// The Order aggregate's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderState {
    /// No OrderCreated yet.
    #[default]
    Absent,
    /// The order exists.
    Placed(Order),
}

impl OrderState {
    /// The order, if it exists.
    pub fn order(&self) -> Option<&Order> {
        match self {
            OrderState::Absent => None,
            OrderState::Placed(order) => Some(order),
        }
    }
}

/// What can be asked of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderCommand {
    /// A customer places an order.
    Create {
        /// Who places it.
        customer_id: CustomerId,
        /// What is ordered: at least one line.
        line_items: Vec<LineItem>,
    },
    /// The Order service approves it after CreditReserved.
    Approve,
    /// The Order service cancels it after a refusal (CreditLimitExceeded, CreditReservationRefused),
    /// or the user cancels it ([`CancelReason::UserRequested`]). Which orders may be cancelled
    /// depends on the reason: see [`CancelReason::answers_a_refusal`].
    Cancel {
        /// Why.
        reason: CancelReason,
    },
    /// The user ships an approved order.
    Ship,
}

/// OrderCreated's data: the whole order, as the article says of this event. Schema version 2: the
/// order's lines. Version 1 stored only `order_total_cents`; the codec upcasts it to one
/// [`LEGACY_PRODUCT`] line. The total is not stored beside the lines: it is derived from them
/// ([`OrderCreated::total`]), so a stored fact cannot contradict itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// Who placed it.
    pub customer_id: CustomerId,
    /// What was ordered.
    pub line_items: Vec<LineItem>,
}

impl OrderCreated {
    /// The order's total: the sum of its lines.
    pub fn total(&self) -> Money {
        total_of(&self.line_items)
    }
}

/// OrderCancelled's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// Why.
    pub reason: CancelReason,
    /// Whose order it was, so that the Customer service knows whose credit to release without
    /// reading the Order. Added without a new schema version: an optional field that older readers
    /// ignore; cancellations stored before it have none (and none of those released credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
}

/// What happened to an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// The order was created with status NEW.
    Created(OrderCreated),
    /// Credit was reserved; the order is APPROVED.
    Approved,
    /// The order is CANCELLED: credit was refused, or the user cancelled it.
    Cancelled(OrderCancelled),
    /// The order shipped. The reservation on the Customer stays: the credit is now used, not free
    /// again (settling it would take a payment, which the seeds' store does not model), so the
    /// Customer service does not react to this event. Its data is empty, as the article says.
    Shipped,
}

/// Why an order command was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderError {
    /// An order with this id exists already.
    AlreadyExists,
    /// The order has no line.
    NoLineItems,
    /// The total is zero or negative.
    TotalNotPositive(Money),
    /// The total is more than [`Money::MAX_CENTS`].
    TotalTooLarge,
    /// A line names no product.
    EmptyProductId,
    /// A line orders zero of something.
    QuantityZero(ProductId),
    /// A line's unit price is zero or negative.
    UnitPriceNotPositive(ProductId, Money),
    /// There is no such order.
    NotFound,
    /// The order was already approved, cancelled or shipped, so the Order service's decision
    /// comes too late.
    AlreadyDecided(OrderStatus),
    /// The order was cancelled already.
    AlreadyCancelled,
    /// The order has shipped: it can be neither cancelled nor shipped again.
    AlreadyShipped,
    /// Only an APPROVED order ships.
    NotApproved(OrderStatus),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::AlreadyExists => f.write_str("An order with this id already exists."),
            OrderError::NoLineItems => f.write_str("An order needs at least one line item."),
            OrderError::TotalNotPositive(total) => {
                write!(
                    f,
                    "An order total must be more than $0.00 ({total} was given)."
                )
            }
            OrderError::TotalTooLarge => write!(
                f,
                "That order total is too large for this lab (at most {}).",
                Money::from_cents(Money::MAX_CENTS)
            ),
            OrderError::EmptyProductId => f.write_str("Every line item needs a product id."),
            OrderError::QuantityZero(product) => {
                write!(f, "The line for {product} must order at least one.")
            }
            OrderError::UnitPriceNotPositive(product, price) => write!(
                f,
                "The unit price of {product} must be more than $0.00 ({price} was given)."
            ),
            OrderError::NotFound => f.write_str("There is no such order."),
            OrderError::AlreadyDecided(status) => {
                write!(
                    f,
                    "The order is already {status}: an order is approved or cancelled once."
                )
            }
            OrderError::AlreadyCancelled => {
                f.write_str("The order is already CANCELLED: an order is cancelled once.")
            }
            OrderError::AlreadyShipped => f.write_str(
                "The order has already SHIPPED: it can be neither cancelled nor shipped again.",
            ),
            OrderError::NotApproved(status) => {
                write!(f, "Only an APPROVED order ships; this one is {status}.")
            }
        }
    }
}

impl std::error::Error for OrderError {}

/// The Order aggregate.
pub struct OrderDecider;

impl OrderDecider {
    /// The rules a new order's lines must follow. The total comes first so that an order placed
    /// by its total alone is told about its total, not about its one line.
    fn check_lines(line_items: &[LineItem]) -> Result<(), OrderError> {
        if line_items.is_empty() {
            return Err(OrderError::NoLineItems);
        }
        let total = total_of(line_items);
        if !total.is_positive() {
            return Err(OrderError::TotalNotPositive(total));
        }
        for line in line_items {
            if line.product_id.as_str().trim().is_empty() {
                return Err(OrderError::EmptyProductId);
            }
            if line.quantity == 0 {
                return Err(OrderError::QuantityZero(line.product_id.clone()));
            }
            if !line.unit_price.is_positive() {
                return Err(OrderError::UnitPriceNotPositive(
                    line.product_id.clone(),
                    line.unit_price,
                ));
            }
        }
        if total.cents() > Money::MAX_CENTS {
            return Err(OrderError::TotalTooLarge);
        }
        Ok(())
    }

    fn cancel(reason: CancelReason, order: &Order) -> Result<Vec<OrderEvent>, OrderError> {
        let cancelled = || {
            Ok(vec![OrderEvent::Cancelled(OrderCancelled {
                reason,
                customer_id: Some(order.customer_id.clone()),
            })])
        };
        if reason.answers_a_refusal() {
            // A refusal answers the credit check of a NEW order; any later state has moved on.
            return match order.status {
                OrderStatus::New => cancelled(),
                other => Err(OrderError::AlreadyDecided(other)),
            };
        }
        match order.status {
            OrderStatus::New | OrderStatus::Approved => cancelled(),
            OrderStatus::Cancelled => Err(OrderError::AlreadyCancelled),
            OrderStatus::Shipped => Err(OrderError::AlreadyShipped),
        }
    }
}

impl Decider for OrderDecider {
    type Command = OrderCommand;
    type Event = OrderEvent;
    type State = OrderState;
    type Error = OrderError;

    fn initial_state() -> OrderState {
        OrderState::Absent
    }

    fn decide(command: &OrderCommand, state: &OrderState) -> Result<Vec<OrderEvent>, OrderError> {
        match (command, state) {
            (OrderCommand::Create { .. }, OrderState::Placed(_)) => Err(OrderError::AlreadyExists),
            (
                OrderCommand::Create {
                    customer_id,
                    line_items,
                },
                OrderState::Absent,
            ) => {
                Self::check_lines(line_items)?;
                Ok(vec![OrderEvent::Created(OrderCreated {
                    customer_id: customer_id.clone(),
                    line_items: line_items.clone(),
                })])
            }
            (
                OrderCommand::Approve | OrderCommand::Cancel { .. } | OrderCommand::Ship,
                OrderState::Absent,
            ) => Err(OrderError::NotFound),
            (OrderCommand::Approve, OrderState::Placed(order)) => match order.status {
                OrderStatus::New => Ok(vec![OrderEvent::Approved]),
                other => Err(OrderError::AlreadyDecided(other)),
            },
            (OrderCommand::Cancel { reason }, OrderState::Placed(order)) => {
                Self::cancel(*reason, order)
            }
            (OrderCommand::Ship, OrderState::Placed(order)) => match order.status {
                OrderStatus::Approved => Ok(vec![OrderEvent::Shipped]),
                OrderStatus::Shipped => Err(OrderError::AlreadyShipped),
                other @ (OrderStatus::New | OrderStatus::Cancelled) => {
                    Err(OrderError::NotApproved(other))
                }
            },
        }
    }

    fn evolve(state: OrderState, event: &OrderEvent) -> OrderState {
        let status = match event {
            OrderEvent::Created(created) => {
                return OrderState::Placed(Order {
                    customer_id: created.customer_id.clone(),
                    line_items: created.line_items.clone(),
                    total: created.total(),
                    status: OrderStatus::New,
                })
            }
            OrderEvent::Approved => OrderStatus::Approved,
            OrderEvent::Cancelled(_) => OrderStatus::Cancelled,
            OrderEvent::Shipped => OrderStatus::Shipped,
        };
        match state {
            OrderState::Placed(order) => OrderState::Placed(Order { status, ..order }),
            // A change to an order that was never created cannot be produced by `decide`; a fold
            // stays total and leaves such a state as it is.
            OrderState::Absent => OrderState::Absent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::fold;

    fn check(given: &[OrderEvent], when: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        let state = fold::<OrderDecider>(OrderDecider::initial_state(), given);
        OrderDecider::decide(&when, &state)
    }

    fn status_after(given: &[OrderEvent]) -> Option<OrderStatus> {
        fold::<OrderDecider>(OrderDecider::initial_state(), given)
            .order()
            .map(|o| o.status)
    }

    fn created(cents: i64) -> OrderEvent {
        OrderEvent::Created(OrderCreated {
            customer_id: CustomerId::new("c1"),
            line_items: vec![LineItem::whole_order(Money::from_cents(cents))],
        })
    }

    fn create(cents: i64) -> OrderCommand {
        create_lines(vec![LineItem::whole_order(Money::from_cents(cents))])
    }

    fn create_lines(line_items: Vec<LineItem>) -> OrderCommand {
        OrderCommand::Create {
            customer_id: CustomerId::new("c1"),
            line_items,
        }
    }

    fn cancel(reason: CancelReason) -> OrderCommand {
        OrderCommand::Cancel { reason }
    }

    fn cancelled(reason: CancelReason) -> OrderEvent {
        OrderEvent::Cancelled(OrderCancelled {
            reason,
            customer_id: Some(CustomerId::new("c1")),
        })
    }

    const BY_USER: CancelReason = CancelReason::UserRequested;
    const OVER_LIMIT: CancelReason = CancelReason::CreditLimitExceeded;

    #[test]
    fn it_should_create_a_new_order() {
        assert_eq!(check(&[], create(1_000)), Ok(vec![created(1_000)]));
        assert_eq!(status_after(&[created(1_000)]), Some(OrderStatus::New));
    }

    #[test]
    fn its_total_is_the_sum_of_its_lines() {
        let lines = vec![
            LineItem::new("pen", 3, Money::from_cents(250)),
            LineItem::new("ink", 1, Money::from_cents(1_000)),
        ];
        let event = check(&[], create_lines(lines.clone())).expect("created");
        let state = fold::<OrderDecider>(OrderState::Absent, &event);
        let order = state.order().expect("order");
        assert_eq!(order.total, Money::from_cents(1_750));
        assert_eq!(order.line_items, lines);
    }

    #[test]
    fn it_should_refuse_a_total_that_is_not_positive() {
        assert_eq!(
            check(&[], create(0)),
            Err(OrderError::TotalNotPositive(Money::ZERO))
        );
        assert_eq!(
            check(&[], create(-5)),
            Err(OrderError::TotalNotPositive(Money::from_cents(-5)))
        );
    }

    #[test]
    fn it_should_refuse_lines_that_order_nothing_or_cost_nothing() {
        let ok = LineItem::new("pen", 1, Money::from_cents(250));
        assert_eq!(
            check(&[], create_lines(vec![])),
            Err(OrderError::NoLineItems)
        );
        assert_eq!(
            check(
                &[],
                create_lines(vec![
                    ok.clone(),
                    LineItem::new(" ", 1, Money::from_cents(1))
                ])
            ),
            Err(OrderError::EmptyProductId)
        );
        assert_eq!(
            check(
                &[],
                create_lines(vec![
                    ok.clone(),
                    LineItem::new("ink", 0, Money::from_cents(1))
                ])
            ),
            Err(OrderError::QuantityZero(ProductId::new("ink")))
        );
        assert_eq!(
            check(
                &[],
                create_lines(vec![ok, LineItem::new("ink", 1, Money::from_cents(-100))])
            ),
            Err(OrderError::UnitPriceNotPositive(
                ProductId::new("ink"),
                Money::from_cents(-100)
            ))
        );
        assert_eq!(
            check(
                &[],
                create_lines(vec![LineItem::new(
                    "gold",
                    u32::MAX,
                    Money::from_cents(Money::MAX_CENTS)
                )])
            ),
            Err(OrderError::TotalTooLarge)
        );
    }

    #[test]
    fn it_should_refuse_to_create_an_order_twice() {
        assert_eq!(
            check(&[created(1)], create(1)),
            Err(OrderError::AlreadyExists)
        );
    }

    #[test]
    fn it_should_approve_a_new_order_once() {
        assert_eq!(
            check(&[created(1)], OrderCommand::Approve),
            Ok(vec![OrderEvent::Approved])
        );
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], OrderCommand::Approve),
            Err(OrderError::AlreadyDecided(OrderStatus::Approved))
        );
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], cancel(OVER_LIMIT)),
            Err(OrderError::AlreadyDecided(OrderStatus::Approved))
        );
    }

    #[test]
    fn it_should_cancel_a_new_order_once() {
        assert_eq!(
            check(&[created(1)], cancel(OVER_LIMIT)),
            Ok(vec![cancelled(OVER_LIMIT)])
        );
        assert_eq!(
            check(&[created(1), cancelled(OVER_LIMIT)], OrderCommand::Approve),
            Err(OrderError::AlreadyDecided(OrderStatus::Cancelled))
        );
        assert_eq!(
            status_after(&[created(1), cancelled(OVER_LIMIT)]),
            Some(OrderStatus::Cancelled)
        );
    }

    #[test]
    fn it_should_cancel_a_new_order_for_a_deleted_customer() {
        let deleted = CancelReason::CustomerDeleted;
        assert_eq!(
            check(&[created(1)], cancel(deleted)),
            Ok(vec![cancelled(deleted)])
        );
    }

    #[test]
    fn the_user_may_cancel_a_new_or_an_approved_order() {
        assert_eq!(
            check(&[created(1)], cancel(BY_USER)),
            Ok(vec![cancelled(BY_USER)])
        );
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], cancel(BY_USER)),
            Ok(vec![cancelled(BY_USER)])
        );
        assert_eq!(
            status_after(&[created(1), OrderEvent::Approved, cancelled(BY_USER)]),
            Some(OrderStatus::Cancelled)
        );
    }

    #[test]
    fn an_order_cancelled_twice_is_refused() {
        assert_eq!(
            check(&[created(1), cancelled(BY_USER)], cancel(BY_USER)),
            Err(OrderError::AlreadyCancelled)
        );
        assert_eq!(
            check(&[created(1), cancelled(OVER_LIMIT)], cancel(BY_USER)),
            Err(OrderError::AlreadyCancelled)
        );
        assert_eq!(
            check(&[created(1), cancelled(BY_USER)], cancel(OVER_LIMIT)),
            Err(OrderError::AlreadyDecided(OrderStatus::Cancelled)),
            "a refusal that arrives after the user cancelled changes nothing"
        );
    }

    #[test]
    fn only_an_approved_order_ships_and_only_once() {
        assert_eq!(
            check(&[created(1), OrderEvent::Approved], OrderCommand::Ship),
            Ok(vec![OrderEvent::Shipped])
        );
        assert_eq!(
            status_after(&[created(1), OrderEvent::Approved, OrderEvent::Shipped]),
            Some(OrderStatus::Shipped)
        );
        assert_eq!(
            check(&[created(1)], OrderCommand::Ship),
            Err(OrderError::NotApproved(OrderStatus::New))
        );
        assert_eq!(
            check(&[created(1), cancelled(BY_USER)], OrderCommand::Ship),
            Err(OrderError::NotApproved(OrderStatus::Cancelled))
        );
        let shipped = [created(1), OrderEvent::Approved, OrderEvent::Shipped];
        assert_eq!(
            check(&shipped, OrderCommand::Ship),
            Err(OrderError::AlreadyShipped)
        );
    }

    #[test]
    fn a_shipped_order_cannot_be_cancelled() {
        let shipped = [created(1), OrderEvent::Approved, OrderEvent::Shipped];
        assert_eq!(
            check(&shipped, cancel(BY_USER)),
            Err(OrderError::AlreadyShipped)
        );
        assert_eq!(
            check(&shipped, cancel(OVER_LIMIT)),
            Err(OrderError::AlreadyDecided(OrderStatus::Shipped))
        );
    }

    #[test]
    fn it_should_not_change_an_order_that_does_not_exist() {
        assert_eq!(check(&[], OrderCommand::Approve), Err(OrderError::NotFound));
        assert_eq!(check(&[], cancel(BY_USER)), Err(OrderError::NotFound));
        assert_eq!(check(&[], OrderCommand::Ship), Err(OrderError::NotFound));
    }

    #[test]
    fn evolve_is_total_over_an_order_that_was_never_created() {
        let stray = [
            OrderEvent::Approved,
            cancelled(BY_USER),
            OrderEvent::Shipped,
        ];
        assert_eq!(status_after(&stray), None);
    }
}
