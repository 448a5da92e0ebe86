//! One plain sentence per delivery, tying what just happened to the pattern it illustrates. The
//! words follow the articles: one transaction changes one aggregate, services learn of each
//! other's changes only through events, and a refused credit check is an event, not a change.
//! Every event a service can store has its own sentence. Where a rule is Foldlab's and not the
//! article's (releasing credit on a cancellation, refusing a deleted customer credit), the sentence
//! says so; `docs/claims.md` lists each claim with the passage it rests on.

use foldlab_domain::codec::{decode, StoredEvent};
use foldlab_domain::{CustomerEvent, EventEnvelope, OrderEvent};
use foldlab_engine::{Outcome, Recognised, StepReport, Subscriber};

/// The sentence the lab shows for a delivery.
pub fn narrate(report: &StepReport) -> String {
    let event = &report.delivery.event;
    let received = format!("{} #{}", event.event_type, event.event_id);
    let who = report.delivery.subscriber.label();
    match &report.outcome {
        Outcome::Appended(appended) | Outcome::RefusalRecorded(appended) => {
            appended_sentence(report.delivery.subscriber, &received, appended)
        }
        Outcome::Refused(reason) => format!(
            "The {} handled {received}, and the aggregate refused the command: {reason} Nothing was stored.",
            lower(who)
        ),
        Outcome::ViewUpdated => format!(
            "The customer view applied {received}: it has now applied every event up to #{}. The other views keep their own checkpoints.",
            event.event_id
        ),
        Outcome::ViewUnchanged => ignored_sentence(report.delivery.subscriber, &received, event),
        Outcome::DuplicateDiscarded(Recognised::ByCheckpoint) => format!(
            "The {} had already handled {received}: a duplicate delivery, detected by the highest event id it has seen (its checkpoint), and discarded.",
            lower(who)
        ),
        Outcome::DuplicateDiscarded(Recognised::ByCausation) => format!(
            "The {} had already handled {received} but crashed before saving its checkpoint. Foldlab's own rule caught the duplicate: its aggregate already holds an event it stored in reaction to #{} (the event's causation id). Discarded.",
            lower(who),
            event.event_id
        ),
    }
}

fn appended_sentence(subscriber: Subscriber, received: &str, appended: &[EventEnvelope]) -> String {
    let Some(first) = appended.first() else {
        return format!(
            "The {} handled {received}; it had nothing to store.",
            lower(subscriber.label())
        );
    };
    let stored = format!("{} #{}", first.event_type, first.event_id);
    match decode(first) {
        Ok(StoredEvent::Customer(_, CustomerEvent::CreditReserved(reserved))) => format!(
            "The Customer service handled {received} and reserved {} of credit for order {}: {stored}. One transaction changed one aggregate, the Customer.",
            reserved.amount, reserved.order_id
        ),
        Ok(StoredEvent::Customer(_, CustomerEvent::CreditLimitExceeded(refused))) => format!(
            "The Customer service handled {received}, but {} is more than the {} of credit still available: {stored} records the failed attempt, and the Customer's state did not change.",
            refused.amount, refused.available
        ),
        Ok(StoredEvent::Customer(customer_id, CustomerEvent::CreditReservationRefused(refused))) => format!(
            "The Customer service handled {received}, but customer {customer_id} was deleted and reserves no more credit (Foldlab's rule, not the article's): {stored} refuses {} for order {}, and the Customer's state did not change.",
            refused.amount, refused.order_id
        ),
        Ok(StoredEvent::Customer(_, CustomerEvent::CreditReleased(released))) => format!(
            "The Customer service handled {received} and released the {} of credit reserved for order {}: {stored}. Releasing credit on a cancellation is Foldlab's rule, not the article's: it undoes the reservation, a compensating step of the saga. The Customer learned of the cancellation only through the event; one transaction changed one aggregate.",
            released.amount, released.order_id
        ),
        Ok(StoredEvent::Order(order_id, OrderEvent::Approved)) => format!(
            "The Order service handled {received} and approved order {order_id}: {stored}. The Order never read the Customer's credit; it learned of the reservation through an event."
        ),
        Ok(StoredEvent::Order(order_id, OrderEvent::Cancelled(_))) => format!(
            "The Order service handled {received} and cancelled order {order_id}: {stored}. No transaction spanned the two services."
        ),
        // No service stores these (only a user's command does), nor an event it cannot read.
        Ok(StoredEvent::Customer(
            _,
            CustomerEvent::Created(_) | CustomerEvent::CreditLimitChanged(_) | CustomerEvent::Deleted,
        ))
        | Ok(StoredEvent::Order(_, OrderEvent::Created(_) | OrderEvent::Shipped))
        | Err(_) => format!("The {} handled {received} and stored {stored}.", lower(subscriber.label())),
    }
}

/// A service that read an event and sent no command. The Customer service is told of every
/// OrderCancelled but releases credit only when the user cancelled; otherwise the credit was
/// refused, so nothing was reserved.
fn ignored_sentence(subscriber: Subscriber, received: &str, event: &EventEnvelope) -> String {
    match (subscriber, decode(event)) {
        (
            Subscriber::CustomerService,
            Ok(StoredEvent::Order(order_id, OrderEvent::Cancelled(cancelled))),
        ) if cancelled.reason.answers_a_refusal() => format!(
            "The Customer service read {received}: order {order_id} was cancelled because its credit was refused, so there is no reservation to release, and only its checkpoint moved."
        ),
        // Any other event a subscriber reads without acting on it.
        _ => format!(
            "The {} read {received}; nothing it keeps changed, so only its checkpoint moved.",
            lower(subscriber.label())
        ),
    }
}

fn lower(label: &str) -> String {
    // The labels are English words in ASCII: no Unicode case tables needed (a smaller wasm).
    let mut chars = label.chars();
    match chars.next() {
        Some(first) if label.starts_with("Customer view") => {
            std::iter::once(first.to_ascii_lowercase())
                .chain(chars)
                .collect()
        }
        _ => label.to_string(),
    }
}

/// `n` with its noun: "1 event", "2 events", "0 events".
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_says_one_event_and_two_deliveries() {
        assert_eq!(counted(1u64, "event", "events"), "1 event");
        assert_eq!(counted(2u64, "delivery", "deliveries"), "2 deliveries");
        assert_eq!(counted(0u32, "event", "events"), "0 events");
    }
    use foldlab_domain::{CustomerId, Money, OrderId};
    use foldlab_engine::Engine;
    use foldlab_store::MemoryStore;
    use futures::executor::block_on;

    /// A customer with `limit` and one order of `total`, placed but not yet delivered anywhere.
    fn placed(limit: i64, total: i64) -> Engine<MemoryStore> {
        let e = Engine::new(MemoryStore::new(), Box::new(|| 0));
        block_on(e.create_customer(&CustomerId::new("c1"), "Ada", Money::from_cents(limit), "k"))
            .expect("create");
        block_on(e.place_order(
            &OrderId::new("o1"),
            &CustomerId::new("c1"),
            Money::from_cents(total),
            "k",
        ))
        .expect("order");
        e
    }

    fn story(limit: i64, total: i64) -> Vec<String> {
        lines_after(&placed(limit, total))
    }

    #[test]
    fn the_approved_path_reads_as_the_article_tells_it() {
        let lines = story(10_000, 2_500);
        assert_eq!(
            lines[1],
            "The Customer service handled OrderCreated #2 and reserved $25.00 of credit for order o1: CreditReserved #3. One transaction changed one aggregate, the Customer."
        );
        assert!(lines[3].starts_with(
            "The Order service handled CreditReserved #3 and approved order o1: OrderApproved #4."
        ));
        assert_eq!(lines[0], "The customer view applied CustomerCreated #1: it has now applied every event up to #1. The other views keep their own checkpoints.");
    }

    /// Issue 11: the sentence once said "the query side now reflects the event store", but only the
    /// customer view is delivered to here; the other views move on their own checkpoints.
    #[test]
    fn a_view_update_speaks_for_the_customer_view_only() {
        for line in story(10_000, 2_500) {
            assert!(!line.contains("query side now reflects"), "{line}");
        }
    }

    /// Issue 11: Foldlab's own rules are marked as Foldlab's wherever a sentence states them.
    #[test]
    fn foldlabs_own_rules_are_marked_as_foldlabs() {
        let e = approved(10_000, 2_500);
        block_on(e.cancel_order(&OrderId::new("o1"), "k")).expect("cancel");
        block_on(e.delete_customer(&CustomerId::new("c1"), "k")).expect("delete");
        block_on(e.place_order(
            &OrderId::new("o2"),
            &CustomerId::new("c1"),
            Money::from_cents(100),
            "k",
        ))
        .expect("order");
        let lines = lines_after(&e);
        for event in ["CreditReleased", "CreditReservationRefused"] {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!(": {event} #")))
                .unwrap_or_else(|| panic!("{event} is told: {lines:#?}"));
            assert!(line.contains("Foldlab's rule, not the article's"), "{line}");
        }
    }

    #[test]
    fn a_refused_credit_check_is_told_as_an_event_not_a_change() {
        let lines = story(1_000, 2_500);
        assert_eq!(
            lines[1],
            "The Customer service handled OrderCreated #2, but $25.00 is more than the $10.00 of credit still available: CreditLimitExceeded #3 records the failed attempt, and the Customer's state did not change."
        );
        assert!(lines[3].contains("cancelled order o1: OrderCancelled #4"));
    }

    #[test]
    fn a_duplicate_is_told_by_the_mechanism_that_caught_it() {
        use foldlab_engine::{Delivery, EngineError};
        use foldlab_store::{FaultSwitch, StoreError};
        let e = Engine::new(FaultSwitch::default(), Box::new(|| 0));
        block_on(e.create_customer(&CustomerId::new("c1"), "Ada", Money::from_cents(9_000), "k"))
            .expect("create");
        let order = block_on(e.place_order(
            &OrderId::new("o1"),
            &CustomerId::new("c1"),
            Money::from_cents(100),
            "k",
        ))
        .expect("order")
        .remove(0);
        let delivery = Delivery {
            subscriber: Subscriber::CustomerService,
            event: order,
        };
        let service = Subscriber::CustomerService.name();
        e.store().faults().crash_before_next_checkpoint(service);
        assert!(matches!(
            block_on(e.deliver(&delivery)),
            Err(EngineError::Store(StoreError::Crashed { .. }))
        ));
        let after_crash = narrate(&block_on(e.deliver_reporting(&delivery)).expect("again"));
        assert!(after_crash.contains("Foldlab's own rule"), "{after_crash}");
        assert!(after_crash.contains("causation id"), "{after_crash}");
        assert!(!after_crash.contains("highest event id"), "{after_crash}");

        let again = narrate(&block_on(e.deliver_reporting(&delivery)).expect("once more"));
        assert!(again.contains("highest event id"), "{again}");
        assert!(!again.contains("causation"), "{again}");
    }

    #[test]
    fn a_refusal_recorded_as_an_event_is_its_own_outcome() {
        let e = placed(1_000, 2_500);
        let reports = block_on(e.run_to_end(50)).expect("run");
        let refusal = reports
            .iter()
            .find(|r| r.delivery.subscriber == Subscriber::CustomerService)
            .expect("the Customer service was delivered to");
        assert_eq!(
            refusal.outcome.kind(),
            foldlab_engine::OutcomeKind::RefusalRecorded
        );
        assert_eq!(refusal.outcome.kind().label(), "refusal recorded");
    }

    fn lines_after(e: &Engine<MemoryStore>) -> Vec<String> {
        block_on(e.run_to_end(50))
            .expect("run")
            .iter()
            .map(narrate)
            .collect()
    }

    fn approved(limit: i64, total: i64) -> Engine<MemoryStore> {
        let e = placed(limit, total);
        lines_after(&e);
        e
    }

    #[test]
    fn a_release_is_told_as_the_customer_learning_of_the_cancellation_through_an_event() {
        let e = approved(10_000, 2_500);
        block_on(e.cancel_order(&OrderId::new("o1"), "k")).expect("cancel");
        let lines = lines_after(&e);
        assert_eq!(
            lines[0],
            "The Customer service handled OrderCancelled #5 and released the $25.00 of credit reserved for order o1: CreditReleased #6. Releasing credit on a cancellation is Foldlab's rule, not the article's: it undoes the reservation, a compensating step of the saga. The Customer learned of the cancellation only through the event; one transaction changed one aggregate."
        );
    }

    #[test]
    fn a_release_of_credit_that_was_refused_is_told_as_a_refusal() {
        let e = Engine::new(MemoryStore::new(), Box::new(|| 0));
        block_on(e.create_customer(&CustomerId::new("c1"), "Ada", Money::from_cents(1_000), "k"))
            .expect("create");
        block_on(e.place_order(
            &OrderId::new("o1"),
            &CustomerId::new("c1"),
            Money::from_cents(2_500),
            "k",
        ))
        .expect("order");
        block_on(e.cancel_order(&OrderId::new("o1"), "k")).expect("cancel");
        let lines = lines_after(&e);
        assert!(
            lines.contains(&"The Customer service handled OrderCancelled #3, and the aggregate refused the command: No credit is reserved for order o1, so there is none to release. Nothing was stored.".to_string()),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_cancellation_that_answers_a_refusal_is_read_and_left_alone() {
        let lines = story(1_000, 2_500);
        assert!(
            lines.contains(&"The Customer service read OrderCancelled #4: order o1 was cancelled because its credit was refused, so there is no reservation to release, and only its checkpoint moved.".to_string()),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_deleted_customers_refusal_is_told_as_an_event_not_a_change() {
        let e = approved(10_000, 2_500);
        block_on(e.delete_customer(&CustomerId::new("c1"), "k")).expect("delete");
        block_on(e.place_order(
            &OrderId::new("o2"),
            &CustomerId::new("c1"),
            Money::from_cents(100),
            "k",
        ))
        .expect("order");
        let lines = lines_after(&e);
        assert!(
            lines.contains(&"The Customer service handled OrderCreated #6, but customer c1 was deleted and reserves no more credit (Foldlab's rule, not the article's): CreditReservationRefused #7 refuses $1.00 for order o2, and the Customer's state did not change.".to_string()),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"The Order service handled CreditReservationRefused #7 and cancelled order o2: OrderCancelled #8. No transaction spanned the two services.".to_string()),
            "{lines:#?}"
        );
    }
}
