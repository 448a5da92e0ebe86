//! The one invariant checker every design is judged by: it reads what the design left in storage
//! (as a [`World`]) and what the run saw, and names each broken promise in a sentence.

use crate::env::Seen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An order as the design keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderFact {
    /// Its id.
    pub id: String,
    /// Its customer.
    pub customer: String,
    /// Its total, in dollars.
    pub total: u64,
    /// NEW, APPROVED or CANCELLED.
    pub state: String,
}

/// A customer as the design keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFact {
    /// Its id.
    pub id: String,
    /// Its credit limit, in dollars.
    pub limit: u64,
    /// Credit held, by order: the order id and the amount.
    pub held: Vec<(String, u64)>,
}

/// What the world was told about an order: that it reached `state` (NEW, APPROVED, CANCELLED),
/// or, for `CREDIT`, that its credit check was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    /// The order.
    pub order: String,
    /// NEW, APPROVED, CANCELLED or CREDIT.
    pub state: String,
}

/// Everything the checker reads: what a design left in its storage once nothing more was going to
/// happen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct World {
    /// The orders.
    pub orders: Vec<OrderFact>,
    /// The customers.
    pub customers: Vec<CustomerFact>,
    /// Whether the design tells other services about changes at all (a monolith does not need to).
    pub publishes: bool,
    /// What was published (on the broker, or in the event store), order by order.
    pub told: Vec<Told>,
    /// When the published messages are row changes, one of them, in words.
    pub row_change: Option<String>,
    /// A database that holds both ORDERS and CUSTOMERS, if there is one.
    pub one_database: Option<String>,
}

/// What kind of promise broke. The simulator counts seeds by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// ORDERS and CUSTOMERS live in one database.
    OneDatabase,
    /// Two orders of one customer met in one aggregate; one waited and was retried.
    Conflict,
    /// A read right after a command did not see it.
    StaleRead,
    /// Subscribers got row changes, not business events.
    RowChanges,
    /// An order stays NEW and nothing will move it.
    StuckNew,
    /// Something was announced (or credit held) for an order that was never stored.
    Phantom,
    /// A change was made and no event about it was ever published.
    LostSilently,
    /// A customer holds more credit than its limit.
    OverLimit,
}

impl Kind {
    /// Every kind, in the order tables list them.
    pub const ALL: [Kind; 8] = [
        Kind::OneDatabase,
        Kind::Conflict,
        Kind::StaleRead,
        Kind::RowChanges,
        Kind::StuckNew,
        Kind::Phantom,
        Kind::LostSilently,
        Kind::OverLimit,
    ];

    /// A short name for the simulator's table.
    pub fn label(self) -> &'static str {
        match self {
            Kind::OneDatabase => "ORDERS and CUSTOMERS in one database",
            Kind::Conflict => "orders of one customer conflict (serialized)",
            Kind::StaleRead => "a read right after a command misses it",
            Kind::RowChanges => "row changes published, not business events",
            Kind::StuckNew => "an order stays NEW for good",
            Kind::Phantom => "a change announced that never happened",
            Kind::LostSilently => "a change with no event: lost silently",
            Kind::OverLimit => "credit reserved over the limit",
        }
    }
}

/// One broken promise, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Its kind.
    pub kind: Kind,
    /// The sentence the lab shows.
    pub sentence: String,
}

fn finding(kind: Kind, sentence: String) -> Finding {
    Finding { kind, sentence }
}

/// Checks one run: `world` is what storage holds once nothing is pending, `seen` what the run saw.
pub fn check(world: &World, seen: &Seen) -> Vec<Finding> {
    let mut found = Vec::new();
    if let Some(db) = &world.one_database {
        found.push(finding(
            Kind::OneDatabase,
            format!("ORDERS and CUSTOMERS are both in {db}. One transaction can span them only because one service owns that database: they cannot be split into two services."),
        ));
    }
    for (customer, order) in &seen.conflicts {
        found.push(finding(
            Kind::Conflict,
            format!("Two orders of customer {customer} were placed at once. Order {order} was refused by a conflict and had to be retried: updates to one aggregate are serialized."),
        ));
    }
    for order in &seen.stale_reads {
        found.push(finding(
            Kind::StaleRead,
            format!("A read right after placing order {order} did not see it."),
        ));
    }
    if let Some(change) = &world.row_change {
        found.push(finding(
            Kind::RowChanges,
            format!("The subscribers saw row changes such as {change}, not events like CreditReserved. They had to work out the reason from the rows."),
        ));
    }
    let stored: BTreeMap<&str, &OrderFact> =
        world.orders.iter().map(|o| (o.id.as_str(), o)).collect();
    let told = |order: &str, state: &str| {
        world
            .told
            .iter()
            .any(|t| t.order == order && t.state == state)
    };
    if world.publishes {
        for o in &world.orders {
            let any = world.told.iter().any(|t| t.order == o.id);
            match o.state.as_str() {
                "NEW" if !any => found.push(finding(
                    Kind::StuckNew,
                    format!("Order {} is NEW and no event about it will ever be published.", o.id),
                )),
                "NEW" if told(&o.id, "CREDIT") => found.push(finding(
                    Kind::StuckNew,
                    format!("Order {} is NEW for good: its credit check was answered, but the answer never reached the Order service.", o.id),
                )),
                "NEW" => found.push(finding(
                    Kind::StuckNew,
                    format!("Order {} is NEW for good: it was announced, but the answer to its credit check will never be published.", o.id),
                )),
                state => {
                    if !told(&o.id, "NEW") {
                        found.push(finding(
                            Kind::LostSilently,
                            format!("Order {} was stored, but no event saying it was created was ever published: lost silently.", o.id),
                        ));
                    }
                    if !told(&o.id, state) {
                        found.push(finding(
                            Kind::LostSilently,
                            format!("Order {} is {state}, but no event saying so was ever published: lost silently.", o.id),
                        ));
                    }
                }
            }
        }
        let mut phantoms: Vec<&str> = world
            .told
            .iter()
            .map(|t| t.order.as_str())
            .filter(|o| !stored.contains_key(o))
            .collect();
        phantoms.dedup();
        for order in phantoms {
            let held: Vec<String> = world
                .customers
                .iter()
                .flat_map(|c| {
                    c.held
                        .iter()
                        .filter(|(o, _)| o == order)
                        .map(move |(_, amount)| {
                            format!(" Customer {} holds ${amount} of credit for it.", c.id)
                        })
                })
                .collect();
            found.push(finding(
                Kind::Phantom,
                format!(
                    "The broker announced order {order}, which was never stored.{}",
                    held.concat()
                ),
            ));
        }
    }
    for c in &world.customers {
        let held: u64 = c.held.iter().map(|(_, a)| a).sum();
        if held > c.limit {
            found.push(finding(
                Kind::OverLimit,
                format!(
                    "Customer {} has ${held} of credit reserved, over its limit of ${}.",
                    c.id, c.limit
                ),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str, state: &str) -> OrderFact {
        OrderFact {
            id: id.into(),
            customer: "c-1".into(),
            total: 10,
            state: state.into(),
        }
    }

    fn told(order: &str, state: &str) -> Told {
        Told {
            order: order.into(),
            state: state.into(),
        }
    }

    #[test]
    fn a_new_order_nobody_was_told_about_is_stuck() {
        let world = World {
            orders: vec![order("o-1", "NEW")],
            publishes: true,
            ..World::default()
        };
        let found = check(&world, &Seen::default());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].sentence,
            "Order o-1 is NEW and no event about it will ever be published."
        );
    }

    #[test]
    fn an_announced_order_that_was_never_stored_is_a_phantom() {
        let world = World {
            publishes: true,
            told: vec![told("o-2", "NEW"), told("o-2", "CREDIT")],
            customers: vec![CustomerFact {
                id: "c-1".into(),
                limit: 100,
                held: vec![("o-2".into(), 30)],
            }],
            ..World::default()
        };
        let found = check(&world, &Seen::default());
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].sentence,
            "The broker announced order o-2, which was never stored. Customer c-1 holds $30 of credit for it."
        );
    }

    #[test]
    fn an_approval_nobody_was_told_about_is_lost_silently() {
        let world = World {
            publishes: true,
            orders: vec![order("o-3", "APPROVED")],
            told: vec![told("o-3", "NEW"), told("o-3", "CREDIT")],
            ..World::default()
        };
        let kinds: Vec<Kind> = check(&world, &Seen::default())
            .iter()
            .map(|f| f.kind)
            .collect();
        assert_eq!(kinds, [Kind::LostSilently]);
    }

    #[test]
    fn a_design_that_publishes_nothing_is_not_blamed_for_silence() {
        let world = World {
            orders: vec![order("o-1", "APPROVED")],
            ..World::default()
        };
        assert!(check(&world, &Seen::default()).is_empty());
    }
}
