//! What each design teaches: a few sentences that say what the articles say, each block with the
//! part and section it comes from, and, apart, what Foldlab adds of its own.

use crate::design::Design;

/// One design's lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// One line: what the design is.
    pub summary: &'static str,
    /// What the articles say, sentence by sentence.
    pub says: &'static [&'static str],
    /// Where: "Part N, section title".
    pub source: &'static str,
    /// What Foldlab's code adds or chooses, said as Foldlab's.
    pub foldlab: &'static str,
}

/// The lesson of `design`.
pub fn lesson(design: Design) -> Lesson {
    match design {
        Design::Monolith => Lesson {
            summary: "One database holds ORDERS and CUSTOMERS. One ACID transaction checks the credit limit and stores the order.",
            says: &[
                "A monolith can enforce the credit limit with one ACID transaction, with the right isolation level, when orders and customers are in the same database.",
                "In a microservices application, ORDERS and CUSTOMERS are owned by different services and can only be reached through their APIs.",
                "The traditional fix, a distributed transaction (2PC), is not a viable option for modern applications.",
            ],
            source: "Part 1, Problem #2 - Implementing Transactions That Span Services",
            foldlab: "In Foldlab, an order over the limit is stored as CANCELLED, so every design ends with comparable tables. Orders placed at once wait for each other's lock.",
        },
        Design::OneAggregate => Lesson {
            summary: "The Customer aggregate holds its Orders, so one update checks the credit and adds the order.",
            says: &[
                "A transaction creates or updates one aggregate. Making Orders part of the Customer aggregate lets the credit check be atomic.",
                "But it puts order and customer management in the same service.",
                "Transactions that update different orders of one customer are serialized, and two users may conflict.",
                "As orders grow, loading the Customer costs more. So aggregates are best kept as fine-grained as possible.",
            ],
            source: "Part 1, One Transaction Creates or Updates One Aggregate",
            foldlab: "Foldlab finds the conflict with a version number on the Customer row: the second update expected the old version, stores nothing, and is tried again.",
        },
        Design::DualWrite => Lesson {
            summary: "Each service writes its own table, then publishes an event to a broker: two writes.",
            says: &[
                "Updating the database and publishing an event must be done atomically.",
                "If a service crashes after updating the database but before publishing the event, the system stays inconsistent.",
                "A distributed transaction over the database and the broker (2PC) is not a viable option.",
            ],
            source: "Part 2, Reliably Updating State and Publishing Events",
            foldlab: "Foldlab's switch reverses the order for a new order: publish, then write. A crash in between then announces an order that was never stored.",
        },
        Design::PublishFirst => Lesson {
            summary: "A service makes a change by publishing an event. A consumer of the broker updates the database later.",
            says: &[
                "This guarantees that the database is updated and the event is published.",
                "The drawback is a more complex consistency model: an application cannot immediately read its own writes.",
            ],
            source: "Part 2, Reliably Updating State and Publishing Events",
            foldlab: "In Foldlab, the Customer service decides from CUSTOMERS, which its own consumer writes later. With orders close together it can decide on old figures and reserve more than the limit.",
        },
        Design::LogTailing => Lesson {
            summary: "Services only write their tables. A tailer reads the database's transaction log and publishes each change.",
            says: &[
                "It needs no change to the application, and it gives consistent reads.",
                "But it can be hard to work out the business event, the reason for the update, from the low-level changes to rows.",
                "So it cannot always publish high-level business events.",
            ],
            source: "Part 2, Reliably Updating State and Publishing Events",
            foldlab: "In Foldlab, the Customer service takes an INSERT into ORDERS as a new order, and the Order service takes an INSERT into RESERVATIONS as the answer to its credit check: rules written from rows, not from reasons.",
        },
        Design::EventsTable => Lesson {
            summary: "A service inserts its event into an EVENTS table in the same local transaction. A poller publishes the table to the broker.",
            says: &[
                "It gives consistent reads and publishes high-level business events.",
                "But it is error-prone: the code that publishes events must be kept in step with the business logic.",
                "It relies on the developer remembering to publish an event when state changes.",
            ],
            source: "Part 2, Reliably Updating State and Publishing Events",
            foldlab: "The switch is Foldlab's: you are the developer, and the code path that approves an order forgets its event. Nothing fails; the event is simply never published.",
        },
        Design::EventSourcing => Lesson {
            summary: "Each aggregate is stored as a sequence of events. Its state is a fold over them.",
            says: &[
                "A service saves events in an event store and rebuilds an aggregate's state by replaying them.",
                "Because the events are the state, there is no problem of atomically updating state and publishing events.",
                "In functional programming terms, the state is a functional fold over the events.",
            ],
            source: "Part 2, Developing Microservices with Event Sourcing",
            foldlab: "Foldlab's consumers save their checkpoint in the same write as the event they append, so a crash in a consumer repeats nothing and loses nothing.",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_has_a_lesson_with_a_part_and_section() {
        for design in Design::ALL {
            let l = lesson(design);
            assert!(!l.says.is_empty(), "{design:?}");
            assert!(
                l.source.starts_with("Part 1, ") || l.source.starts_with("Part 2, "),
                "{design:?}"
            );
            assert!(l.foldlab.contains("Foldlab"), "{design:?}");
            assert!(!l.source.contains("seed"), "{design:?}");
        }
    }
}
