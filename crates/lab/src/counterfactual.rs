//! What a mechanism prevents: the Faults page's faults again, with the mechanism switched off, on a
//! scratch store in memory that the lab never sees. Each run tells what happened in a few
//! sentences and hands back the figures the page puts beside the real run.
//!
//! Also the choice of event the duplicate-delivery fault hands over again: the newest OrderCreated
//! the Customer service has handled, never an OrderCancelled (which reserves nothing).

use foldlab_domain::codec::DomainEvent;
use foldlab_domain::customer::CustomerEvent;
use foldlab_domain::order::OrderEvent;
use foldlab_domain::{
    decode, policy, CustomerDecider, CustomerId, Decider, EventEnvelope, Metadata, Money, OrderId,
    StoredEvent,
};
use foldlab_engine::Engine;
use foldlab_store::{EventStore, ExpectedVersion, MemoryStore, StoreError, StreamId};

/// What a run with the mechanism switched off came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterfactual {
    /// What happened, in order.
    pub happened: Vec<String>,
    /// The customer's credit limit.
    pub limit: Money,
    /// The credit the Customer's stream records as reserved: the sum of its CreditReserved events
    /// less those released.
    pub reserved: Money,
    /// How many CreditReserved events the stream holds.
    pub reservations: usize,
}

type Scratch = Engine<MemoryStore>;

fn scratch() -> Scratch {
    Engine::new(MemoryStore::new(), Box::new(|| 0))
}

fn failed(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn customer_stream(id: &CustomerId) -> StreamId {
    StreamId::new("Customer", id.as_str())
}

/// The Customer's events as stored: how many CreditReserved, and their sum less CreditReleased.
async fn reservations(engine: &Scratch, id: &CustomerId) -> Result<(usize, Money), String> {
    let events = engine
        .store()
        .read_stream(&customer_stream(id), 0)
        .await
        .map_err(failed)?;
    let mut count = 0;
    let mut amounts: Vec<(OrderId, Money)> = Vec::new();
    for event in &events {
        match decode(event).map_err(failed)? {
            StoredEvent::Customer(_, CustomerEvent::CreditReserved(r)) => {
                count += 1;
                amounts.push((r.order_id, r.amount));
            }
            StoredEvent::Customer(_, CustomerEvent::CreditReleased(r)) => {
                amounts.retain(|(order, _)| *order != r.order_id);
            }
            _ => {}
        }
    }
    Ok((count, amounts.into_iter().map(|(_, m)| m).sum()))
}

/// Appends a Customer event as the Customer service would, caused by `cause`.
async fn append_customer_event(
    engine: &Scratch,
    id: &CustomerId,
    expected: ExpectedVersion,
    event: &CustomerEvent,
    cause: &EventEnvelope,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let metadata = Metadata {
        actor: "customer-service".to_string(),
        correlation_id: cause.metadata.correlation_id.clone(),
        causation_id: Some(cause.event_id),
    };
    engine
        .store()
        .append(
            &customer_stream(id),
            expected,
            vec![event.to_new_event(0, metadata)],
        )
        .await
}

/// The duplicate-delivery fault with duplicate detection switched off: a $250.00 order is approved,
/// then its OrderCreated reaches the Customer service again, which no longer compares the event id
/// with its checkpoint, looks for an effect it stored for that event, or asks whether the Customer
/// already holds a reservation for the order. It reserves again.
pub async fn duplicate_without_detection() -> Result<Counterfactual, String> {
    let engine = scratch();
    let (customer, order) = (CustomerId::new("c1"), OrderId::new("o1"));
    let limit = Money::from_cents(100_000);
    engine
        .create_customer(&customer, "Ada", limit, "k1")
        .await
        .map_err(failed)?;
    let placed = engine
        .place_order(&order, &customer, Money::from_cents(25_000), "k2")
        .await
        .map_err(failed)?;
    let created = placed.first().ok_or("The order stored no event.")?.clone();
    engine.run_to_end(100).await.map_err(failed)?;
    let (once, _) = reservations(&engine, &customer).await?;
    let mut happened = vec![format!(
        "On a scratch store: Ada has a {limit} limit; a $250.00 order was approved, so {once} CreditReserved is stored."
    )];

    // The handler with nothing to tell it that it has seen this event before.
    let Some((id, command)) = policy::customer_service(&decode(&created).map_err(failed)?) else {
        return Err("The Customer service does not react to OrderCreated.".to_string());
    };
    let foldlab_domain::CustomerCommand::ReserveCredit { order_id, amount } = command else {
        return Err("OrderCreated did not ask for credit.".to_string());
    };
    let version = engine
        .store()
        .read_stream(&customer_stream(&id), 0)
        .await
        .map_err(failed)?
        .len() as u64;
    let again = CustomerEvent::CreditReserved(foldlab_domain::customer::CreditReserved {
        order_id,
        amount,
    });
    let stored = append_customer_event(
        &engine,
        &id,
        ExpectedVersion::after(version),
        &again,
        &created,
    )
    .await
    .map_err(failed)?;
    let (count, reserved) = reservations(&engine, &customer).await?;
    happened.push(format!(
        "OrderCreated #{} came again. With duplicate detection off, the Customer service reserved again: CreditReserved #{}.",
        created.event_id,
        stored.first().map_or(0, |e| e.event_id)
    ));
    happened.push(format!(
        "The Customer's stream now holds {count} CreditReserved for one $250.00 order: {reserved} reserved. Credit reserved twice."
    ));
    Ok(Counterfactual {
        happened,
        limit,
        reserved,
        reservations: count,
    })
}

/// The race with the expected version switched off: two $60.00 orders against a $100.00 limit, both
/// decided against the same loaded Customer, both appended with [`ExpectedVersion::Any`].
pub async fn race_without_expected_version() -> Result<Counterfactual, String> {
    race(false).await
}

/// The same race with the expected version on, as the lab runs it: the second append is refused.
pub async fn race_with_expected_version() -> Result<Counterfactual, String> {
    race(true).await
}

/// Both reservations decided against one load; `names_version`: each append names the version read.
async fn race(names_version: bool) -> Result<Counterfactual, String> {
    let engine = scratch();
    let customer = CustomerId::new("c1");
    let limit = Money::from_cents(10_000);
    engine
        .create_customer(&customer, "Ada", limit, "k1")
        .await
        .map_err(failed)?;
    let mut orders = Vec::new();
    for (n, id) in ["o1", "o2"].into_iter().enumerate() {
        let stored = engine
            .place_order(
                &OrderId::new(id),
                &customer,
                Money::from_cents(6_000),
                &format!("k{}", n + 2),
            )
            .await
            .map_err(failed)?;
        orders.push(stored.first().ok_or("The order stored no event.")?.clone());
    }
    let mut happened = vec![format!(
        "On a scratch store: Ada has a {limit} limit and two $60.00 orders; only one fits."
    )];

    // Both handlers load the Customer before either appends: the same state, the same version.
    let events = engine
        .store()
        .read_stream(&customer_stream(&customer), 0)
        .await
        .map_err(failed)?;
    let version = events.len() as u64;
    let state = engine.load_customer(&customer).await.map_err(failed)?;
    let expected = if names_version {
        ExpectedVersion::after(version)
    } else {
        ExpectedVersion::Any
    };
    for order in &orders {
        let Some((id, command)) = policy::customer_service(&decode(order).map_err(failed)?) else {
            return Err("The Customer service does not react to OrderCreated.".to_string());
        };
        let decided = CustomerDecider::decide(&command, &state).map_err(failed)?;
        let event = decided.first().ok_or("The Customer decided nothing.")?;
        match append_customer_event(&engine, &id, expected, event, order).await {
            Ok(stored) => happened.push(format!(
                "OrderCreated #{}: decided against version {version}, {} appended as #{}.",
                order.event_id,
                event.event_type(),
                stored.first().map_or(0, |e| e.event_id)
            )),
            Err(StoreError::Conflict { actual, .. }) => happened.push(format!(
                "OrderCreated #{}: decided against version {version}, but the stream is at version {actual}: refused, nothing stored.",
                order.event_id
            )),
            Err(other) => return Err(failed(other)),
        }
    }
    let (count, reserved) = reservations(&engine, &customer).await?;
    happened.push(if reserved > limit {
        format!("{reserved} is reserved against a {limit} limit: the credit limit is overdrawn.")
    } else {
        format!("{reserved} is reserved against a {limit} limit.")
    });
    Ok(Counterfactual {
        happened,
        limit,
        reserved,
        reservations: count,
    })
}

/// The event the duplicate-delivery fault hands to the Customer service again: the newest
/// OrderCreated at or below its checkpoint. An OrderCancelled reserves nothing, so it could not
/// show credit reserved twice.
pub fn newest_order_created(events: &[EventEnvelope], checkpoint: u64) -> Option<&EventEnvelope> {
    events.iter().rev().find(|e| {
        e.event_id <= checkpoint
            && matches!(decode(e), Ok(StoredEvent::Order(_, OrderEvent::Created(_))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn it_should_reserve_credit_twice_when_duplicate_detection_is_off() {
        let run = block_on(duplicate_without_detection()).expect("ran");
        assert_eq!(run.reservations, 2);
        assert_eq!(run.reserved, Money::from_cents(50_000));
        assert!(run.happened.iter().any(|s| s.contains("reserved twice")));
    }

    #[test]
    fn it_should_overdraw_the_credit_limit_when_appends_expect_any_version() {
        let run = block_on(race_without_expected_version()).expect("ran");
        assert_eq!(run.reservations, 2);
        assert_eq!(run.reserved, Money::from_cents(12_000));
        assert!(run.reserved > run.limit);
        assert!(run.happened.iter().any(|s| s.contains("overdrawn")));
    }

    #[test]
    fn it_should_refuse_the_second_append_when_it_names_the_version_it_read() {
        let run = block_on(race_with_expected_version()).expect("ran");
        assert_eq!(run.reservations, 1);
        assert_eq!(run.reserved, Money::from_cents(6_000));
        assert!(run.happened.iter().any(|s| s.contains("refused")));
    }

    #[test]
    fn it_should_pick_the_newest_order_created_and_never_an_order_cancelled() {
        // Issue 12: after a cancelled order the fault picked OrderCancelled and spoke of credit.
        let engine = scratch();
        let customer = CustomerId::new("c1");
        block_on(async {
            engine
                .create_customer(&customer, "Ada", Money::from_cents(10_000), "k1")
                .await
                .expect("created");
            for id in ["o1", "o2"] {
                engine
                    .place_order(&OrderId::new(id), &customer, Money::from_cents(1_000), "k")
                    .await
                    .expect("placed");
            }
            engine.run_to_end(100).await.expect("delivered");
            engine
                .cancel_order(&OrderId::new("o1"), "k9")
                .await
                .expect("cancelled");
            engine.run_to_end(100).await.expect("delivered");
        });
        let events = block_on(engine.store().read_all(0, usize::MAX)).expect("read");
        let head = events.last().map_or(0, |e| e.event_id);
        assert_eq!(
            events.last().map(|e| e.event_type.as_str()),
            Some("CreditReleased")
        );
        let picked = newest_order_created(&events, head).expect("an OrderCreated");
        assert_eq!(picked.event_type, "OrderCreated");
        assert_eq!(picked.entity_id, "o2", "the newest one");
        assert!(
            newest_order_created(&events, 1).is_none(),
            "none at or below #1"
        );
    }
}
