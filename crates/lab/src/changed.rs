//! What one event changed, for time travel's "What #N changed": the aggregate it belongs to, each
//! of that aggregate's fields before and after it (both folds of the aggregate's events, one
//! without it and one with it), and which views it changes when a projection applies it.
//!
//! Nothing here reads a store: it folds the log the caller already holds, so it is the same fold
//! the aggregates and views are made of, run twice.

use foldlab_domain::{
    project, ApplyOutcome, CustomerState, EventEnvelope, OrderState, Projection, UnreadableEvent,
    WriteModel,
};
use foldlab_domain::{CustomerId, OrderId};
use foldlab_engine::QuerySide;
use foldlab_store::StreamId;

/// A field of an aggregate, as time travel names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Whether the aggregate exists, and whether a customer was deleted.
    Status,
    /// A customer's name.
    Name,
    /// A customer's credit limit.
    CreditLimit,
    /// Credit a customer has reserved for orders.
    Reserved,
    /// A customer's limit less what is reserved.
    Available,
    /// The customer an order was placed by.
    Customer,
    /// An order's total.
    Total,
}

impl Field {
    /// The field's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Name => "name",
            Field::CreditLimit => "credit limit",
            Field::Reserved => "reserved",
            Field::Available => "available credit",
            Field::Customer => "customer",
            Field::Total => "total",
        }
    }
}

/// One field that an event changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Which field.
    pub field: Field,
    /// Its value before the event ("—" when the aggregate did not exist yet).
    pub before: String,
    /// Its value after it.
    pub after: String,
}

/// What applying the event did to one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewTouched {
    /// The projection's checkpoint name.
    pub name: String,
    /// The view's name for people.
    pub label: String,
    /// Whether the view changed (`Updated`) or only moved its checkpoint (`Ignored`).
    pub outcome: ApplyOutcome,
}

/// What event `event_id` changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// The event's position in the log.
    pub event_id: u64,
    /// Its type (`CreditReserved`).
    pub event_type: String,
    /// The stream of the aggregate it belongs to.
    pub stream: StreamId,
    /// The aggregate's name for people: a customer's name, or the name of an order's customer.
    pub owner: Option<String>,
    /// Every field of that aggregate whose value differs after the event; empty when the event
    /// records something that changed no state (a refusal, say).
    pub fields: Vec<FieldChange>,
    /// Every view the lab keeps, and what applying the event does to it.
    pub views: Vec<ViewTouched>,
}

impl Changed {
    /// The labels of the views the event changes.
    pub fn views_updated(&self) -> Vec<&str> {
        self.views
            .iter()
            .filter(|v| v.outcome == ApplyOutcome::Updated)
            .map(|v| v.label.as_str())
            .collect()
    }
}

/// What the event at `position` changed, folding `events` (the log in `event_id` order). `None`
/// when no stored event has that id (position 0, say); an error when an event up to it cannot be
/// read by a view.
pub fn what_changed(
    query: &QuerySide,
    events: &[EventEnvelope],
    position: u64,
) -> Result<Option<Changed>, UnreadableEvent> {
    let Ok(index) = events.binary_search_by_key(&position, |e| e.event_id) else {
        return Ok(None);
    };
    let (earlier, rest) = events.split_at(index);
    let event = &rest[0];
    let before = WriteModel::from_log(earlier);
    let mut after = before.clone();
    after.apply(event);

    let (fields, owner) = match event.entity_type.as_str() {
        "Customer" => {
            let id = CustomerId::new(event.entity_id.clone());
            let was = before.customers.get(&id).cloned().unwrap_or_default();
            let is = after.customers.get(&id).cloned().unwrap_or_default();
            let owner = is.customer().map(|c| c.name.clone());
            (diff(&customer_fields(&was), &customer_fields(&is)), owner)
        }
        _ => {
            let id = OrderId::new(event.entity_id.clone());
            let was = before.orders.get(&id).cloned().unwrap_or_default();
            let is = after.orders.get(&id).cloned().unwrap_or_default();
            let owner = is
                .order()
                .and_then(|o| after.customers.get(&o.customer_id))
                .and_then(|c| c.customer())
                .map(|c| c.name.clone());
            (diff(&order_fields(&was), &order_fields(&is)), owner)
        }
    };

    let views = vec![
        touched(query.customer_view.projection(), earlier, event)?,
        touched(query.order_history.projection(), earlier, event)?,
        touched(query.low_credit_limit.projection(), earlier, event)?,
        touched(query.new_customers.projection(), earlier, event)?,
    ];
    Ok(Some(Changed {
        event_id: event.event_id,
        event_type: event.event_type.clone(),
        stream: StreamId::new(&event.entity_type, &event.entity_id),
        owner,
        fields,
        views,
    }))
}

/// What applying `event` after `earlier` does to the view `projection` keeps.
fn touched<P: Projection>(
    projection: &P,
    earlier: &[EventEnvelope],
    event: &EventEnvelope,
) -> Result<ViewTouched, UnreadableEvent> {
    let mut state = project(projection, projection.initial_state(), earlier)?;
    let outcome = projection
        .apply(&mut state, event)
        .map_err(|error| UnreadableEvent {
            event_id: event.event_id,
            error,
        })?;
    Ok(ViewTouched {
        name: projection.name().to_string(),
        label: projection.label().to_string(),
        outcome,
    })
}

/// Nothing: the aggregate did not exist.
const NONE: &str = "—";

fn customer_fields(state: &CustomerState) -> Vec<(Field, String)> {
    let status = match state {
        CustomerState::Absent => "does not exist",
        CustomerState::Active(_) => "active",
        CustomerState::Deleted(_) => "deleted",
    };
    let mut fields = vec![(Field::Status, status.to_string())];
    let values = |f: &dyn Fn(&foldlab_domain::Customer) -> String| {
        state.customer().map_or_else(|| NONE.to_string(), f)
    };
    fields.push((Field::Name, values(&|c| c.name.clone())));
    fields.push((Field::CreditLimit, values(&|c| c.credit_limit.to_string())));
    fields.push((Field::Reserved, values(&|c| c.reserved().to_string())));
    fields.push((
        Field::Available,
        values(&|c| c.available_credit().to_string()),
    ));
    fields
}

fn order_fields(state: &OrderState) -> Vec<(Field, String)> {
    let order = state.order();
    vec![
        (
            Field::Status,
            order.map_or_else(|| "does not exist".to_string(), |o| o.status.to_string()),
        ),
        (
            Field::Customer,
            order.map_or_else(|| NONE.to_string(), |o| o.customer_id.to_string()),
        ),
        (
            Field::Total,
            order.map_or_else(|| NONE.to_string(), |o| o.total.to_string()),
        ),
    ]
}

/// The fields whose values differ, in the order given.
fn diff(before: &[(Field, String)], after: &[(Field, String)]) -> Vec<FieldChange> {
    before
        .iter()
        .zip(after)
        .filter(|((_, was), (_, is))| was != is)
        .map(|((field, was), (_, is))| FieldChange {
            field: *field,
            before: was.clone(),
            after: is.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldlab_domain::customer::{
        CreditLimitExceeded, CreditReserved, CustomerCreated, CustomerEvent,
    };
    use foldlab_domain::order::{LineItem, OrderCreated, OrderEvent};
    use foldlab_domain::{DomainEvent, Metadata, Money};

    /// A log told as a story: each event gets the next id and its stream's next version.
    #[derive(Default)]
    struct Log(Vec<EventEnvelope>);

    impl Log {
        fn then<E: DomainEvent>(mut self, id: &str, event: E) -> Self {
            let new = event.to_new_event(0, Metadata::default());
            let version = self.0.iter().filter(|e| e.entity_id == id).count() as u64 + 1;
            self.0.push(EventEnvelope {
                event_id: self.0.len() as u64 + 1,
                entity_type: E::ENTITY_TYPE.into(),
                entity_id: id.into(),
                version,
                event_type: new.event_type,
                schema_version: new.schema_version,
                event_data: new.event_data,
                recorded_at: new.recorded_at,
                metadata: new.metadata,
            });
            self
        }
    }

    fn story() -> Vec<EventEnvelope> {
        Log::default()
            .then(
                "c1",
                CustomerEvent::Created(CustomerCreated {
                    name: "Ada".into(),
                    credit_limit: Money::from_cents(100_000),
                }),
            )
            .then(
                "o1",
                OrderEvent::Created(OrderCreated {
                    customer_id: CustomerId::new("c1"),
                    line_items: vec![LineItem::whole_order(Money::from_cents(25_000))],
                }),
            )
            .then(
                "c1",
                CustomerEvent::CreditReserved(CreditReserved {
                    order_id: OrderId::new("o1"),
                    amount: Money::from_cents(25_000),
                }),
            )
            .then("o1", OrderEvent::Approved)
            .then(
                "c1",
                CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
                    order_id: OrderId::new("o2"),
                    amount: Money::from_cents(900_000),
                    available: Money::from_cents(75_000),
                }),
            )
            .0
    }

    fn check(position: u64) -> Changed {
        what_changed(&QuerySide::new(), &story(), position)
            .expect("readable")
            .expect("stored")
    }

    fn fields(changed: &Changed) -> Vec<(&'static str, &str, &str)> {
        changed
            .fields
            .iter()
            .map(|f| (f.field.label(), f.before.as_str(), f.after.as_str()))
            .collect()
    }

    #[test]
    fn a_credit_reservation_changes_reserved_and_available_credit_and_the_views_that_show_them() {
        let changed = check(3);
        assert_eq!(changed.event_type, "CreditReserved");
        assert_eq!(changed.stream, StreamId::new("Customer", "c1"));
        assert_eq!(changed.owner.as_deref(), Some("Ada"));
        assert_eq!(
            fields(&changed),
            vec![
                ("reserved", "$0.00", "$250.00"),
                ("available credit", "$1,000.00", "$750.00"),
            ]
        );
        // The low-credit view keeps every customer's credit line and answers the query on read.
        assert_eq!(
            changed.views_updated(),
            vec!["Customer view", "Customers with a low credit limit"]
        );
        assert!(!changed.views_updated().contains(&"Order history"));
    }

    #[test]
    fn a_created_aggregate_goes_from_nothing_to_every_field() {
        let changed = check(2);
        assert_eq!(changed.stream, StreamId::new("Order", "o1"));
        assert_eq!(changed.owner.as_deref(), Some("Ada"));
        assert_eq!(
            fields(&changed),
            vec![
                ("status", "does not exist", "NEW"),
                ("customer", "—", "c1"),
                ("total", "—", "$250.00"),
            ]
        );
        assert!(changed.views_updated().contains(&"Order history"));
    }

    #[test]
    fn a_refusal_is_recorded_but_changes_no_field() {
        let changed = check(5);
        assert_eq!(changed.event_type, "CreditLimitExceeded");
        assert!(changed.fields.is_empty());
        assert_eq!(changed.views.len(), 4);
    }

    #[test]
    fn an_approval_changes_only_the_status() {
        let changed = check(4);
        assert_eq!(fields(&changed), vec![("status", "NEW", "APPROVED")]);
    }

    #[test]
    fn a_position_with_no_event_changed_nothing() {
        let query = QuerySide::new();
        assert_eq!(what_changed(&query, &story(), 0), Ok(None));
        assert_eq!(what_changed(&query, &story(), 99), Ok(None));
    }
}
