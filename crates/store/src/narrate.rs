//! One plain sentence per delivery, tying what just happened to the pattern it illustrates. The
//! words follow the seed articles: one transaction changes one aggregate, services learn of each
//! other's changes only through events, and a refused credit check is an event, not a change.

use crate::engine::{Outcome, StepReport, Subscriber};
use foldlab_domain::codec::{decode, StoredEvent};
use foldlab_domain::{CustomerEvent, EventEnvelope, OrderEvent};

/// The sentence the lab shows for a delivery.
pub fn narrate(report: &StepReport) -> String {
    let event = &report.delivery.event;
    let received = format!("{} #{}", event.event_type, event.event_id);
    let who = report.delivery.subscriber.label();
    match &report.outcome {
        Outcome::Appended(appended) => appended_sentence(report.delivery.subscriber, &received, appended),
        Outcome::Refused(reason) => format!(
            "The {} handled {received}, and the aggregate refused the command: {reason} Nothing was stored.",
            lower(who)
        ),
        Outcome::ViewUpdated => format!(
            "The customer view applied {received}: the query side now reflects the event store up to #{}.",
            event.event_id
        ),
        Outcome::ViewUnchanged => format!(
            "The {} read {received}; nothing it keeps changed, so only its checkpoint moved.",
            lower(who)
        ),
        Outcome::DuplicateDiscarded => format!(
            "The {} had already handled {received}: a duplicate delivery, detected by the highest event id it has seen, and discarded.",
            lower(who)
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
        Ok(StoredEvent::Order(order_id, OrderEvent::Approved)) => format!(
            "The Order service handled {received} and approved order {order_id}: {stored}. The Order never read the Customer; it learned of the reservation through an event."
        ),
        Ok(StoredEvent::Order(order_id, OrderEvent::Cancelled(_))) => format!(
            "The Order service handled {received} and cancelled order {order_id}: {stored}. No transaction spanned the two services."
        ),
        _ => format!("The {} handled {received} and stored {stored}.", lower(subscriber.label())),
    }
}

fn lower(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) if label.starts_with("Customer view") => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::MemoryStore;
    use foldlab_domain::{CustomerId, Money, OrderId};
    use futures::executor::block_on;

    fn story(limit: i64, total: i64) -> Vec<String> {
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
        block_on(e.run_to_end(50))
            .expect("run")
            .iter()
            .map(narrate)
            .collect()
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
        assert_eq!(lines[0], "The customer view applied CustomerCreated #1: the query side now reflects the event store up to #1.");
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
}
