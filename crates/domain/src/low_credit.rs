//! "Customers with a low credit limit" (Part 2 of the article, "Benefits and Drawbacks of Event
//! Sourcing"): `SELECT * FROM CUSTOMER WHERE CREDIT_LIMIT < ? AND CREATION_DATE > ?` cannot simply be
//! written against an event store, because no column holds a credit limit: it is the fold of
//! CustomerCreated and every CreditLimitChanged since, which only a more complex and potentially
//! inefficient query could compute. This view keeps that column, and the available credit beside
//! it, for every live customer.
//!
//! It keeps every customer, not only those below the threshold: a limit change may bring anyone
//! under it, and the available credit must be right when that happens.

use crate::codec::StoredEvent;
use crate::customer::CustomerEvent;
use crate::envelope::EventEnvelope;
use crate::ids::CustomerId;
use crate::money::Money;
use crate::order::OrderEvent;
use crate::parts::{DocumentMap, DocumentParts, InParts};
use crate::projection::Projection;
use serde::{Deserialize, Serialize};

/// One customer's credit, as the query side knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    /// The customer.
    pub customer_id: CustomerId,
    /// Display name.
    pub name: String,
    /// Its credit limit now.
    pub credit_limit: Money,
    /// The limit less what is reserved.
    pub available_credit: Money,
    /// When the customer was created (the query's `CREATION_DATE`), in milliseconds since the epoch.
    pub created_at: i64,
}

/// Every live customer's credit line, and the threshold below which a limit is low.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowCreditLimits {
    /// The highest `event_id` applied so far (0 before any).
    pub last_event_id: u64,
    /// A limit below this is low. Saved with the view, so a saved view says which question it
    /// answers; after changing the projection's threshold, rebuild the view.
    pub threshold: Money,
    /// Every customer that exists and is not deleted.
    pub credit_lines: DocumentMap<CustomerId, CreditLine>,
}

impl InParts for LowCreditLimits {
    fn head(&self) -> String {
        serde_json::json!({"last_event_id": self.last_event_id, "threshold": self.threshold, "credit_lines": {}})
            .to_string()
    }

    fn document_maps(&mut self) -> Vec<(&'static str, &mut dyn DocumentParts)> {
        vec![("credit_lines", &mut self.credit_lines)]
    }
}

impl LowCreditLimits {
    /// The answer: customers whose limit is below the threshold, lowest limit first.
    pub fn customers(&self) -> Vec<&CreditLine> {
        self.below(self.threshold, None)
    }

    /// The article's query with both of its parameters: customers whose limit is below `limit` and,
    /// if `created_after` is given, who were created after that moment; lowest limit first.
    pub fn below(&self, limit: Money, created_after: Option<i64>) -> Vec<&CreditLine> {
        let mut found: Vec<&CreditLine> = self
            .credit_lines
            .values()
            .filter(|c| c.credit_limit < limit)
            .filter(|c| created_after.is_none_or(|after| c.created_at > after))
            .collect();
        found.sort_by(|a, b| {
            (a.credit_limit, &a.customer_id).cmp(&(b.credit_limit, &b.customer_id))
        });
        found
    }

    fn update(&mut self, customer_id: &CustomerId, change: impl FnOnce(&mut CreditLine)) -> bool {
        match self.credit_lines.get_mut(customer_id) {
            Some(line) => {
                change(line);
                true
            }
            None => false,
        }
    }
}

/// Customers whose credit limit is below `threshold`, as a projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowCreditLimitProjection {
    /// A limit below this is low.
    pub threshold: Money,
}

impl LowCreditLimitProjection {
    /// The name its checkpoint is saved under.
    pub const NAME: &'static str = "low-credit-limit";
    /// Where this view would live outside the browser, in the words the lab shows.
    pub const STORE_KIND: &'static str = "Outside the browser, this view would live in a document store such as MongoDB, queried by credit limit and creation date (Part 2, Using CQRS, Table 1).";
}

impl Projection for LowCreditLimitProjection {
    type State = LowCreditLimits;

    fn name(&self) -> &str {
        Self::NAME
    }

    fn label(&self) -> &str {
        "Customers with a low credit limit"
    }

    fn initial_state(&self) -> LowCreditLimits {
        LowCreditLimits {
            threshold: self.threshold,
            ..LowCreditLimits::default()
        }
    }

    fn last_event_id(state: &LowCreditLimits) -> u64 {
        state.last_event_id
    }

    fn record_event_id(state: &mut LowCreditLimits, event_id: u64) {
        state.last_event_id = event_id;
    }

    fn evolve(
        &self,
        state: &mut LowCreditLimits,
        envelope: &EventEnvelope,
        event: StoredEvent,
    ) -> bool {
        match event {
            StoredEvent::Customer(customer_id, CustomerEvent::Created(created)) => {
                state.credit_lines.insert(
                    customer_id.clone(),
                    CreditLine {
                        customer_id,
                        name: created.name,
                        credit_limit: created.credit_limit,
                        available_credit: created.credit_limit,
                        created_at: envelope.recorded_at,
                    },
                );
                true
            }
            StoredEvent::Customer(customer_id, CustomerEvent::CreditReserved(reserved)) => state
                .update(&customer_id, |line| {
                    line.available_credit = line.available_credit - reserved.amount;
                }),
            StoredEvent::Customer(customer_id, CustomerEvent::CreditReleased(released)) => state
                .update(&customer_id, |line| {
                    line.available_credit = line.available_credit + released.amount;
                }),
            StoredEvent::Customer(customer_id, CustomerEvent::CreditLimitChanged(changed)) => state
                .update(&customer_id, |line| {
                    // What is reserved does not change, so available credit moves with the limit.
                    line.available_credit =
                        line.available_credit + changed.new_limit - line.credit_limit;
                    line.credit_limit = changed.new_limit;
                }),
            // A deleted customer reserves no more credit: it is no one's answer any more.
            StoredEvent::Customer(customer_id, CustomerEvent::Deleted) => {
                state.credit_lines.remove(&customer_id).is_some()
            }
            // Refusals change no credit.
            StoredEvent::Customer(
                _,
                CustomerEvent::CreditLimitExceeded(_) | CustomerEvent::CreditReservationRefused(_),
            ) => false,
            // Credit moves only through the Customer's own events, which follow the orders'.
            StoredEvent::Order(
                _,
                OrderEvent::Created(_)
                | OrderEvent::Approved
                | OrderEvent::Cancelled(_)
                | OrderEvent::Shipped,
            ) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::CancelReason;
    use crate::projection::project;
    use crate::testing::Log;

    fn low(threshold: i64, log: &Log) -> LowCreditLimits {
        let projection = LowCreditLimitProjection {
            threshold: Money::from_cents(threshold),
        };
        project(&projection, projection.initial_state(), log.events()).expect("folds")
    }

    fn names(lines: Vec<&CreditLine>) -> Vec<(&str, i64, i64)> {
        lines
            .into_iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.credit_limit.cents(),
                    c.available_credit.cents(),
                )
            })
            .collect()
    }

    fn story() -> Log {
        Log::new()
            .customer("c1", "Ada", 1_000)
            .customer("c2", "Bob", 50_000)
            .customer("c3", "Cy", 500)
            .order("o1", "c1", 300)
            .reserved("c1", "o1", 300)
            .approved("o1")
            .order("o2", "c3", 900)
            .exceeded("c3", "o2", 900, 500)
            .cancelled("o2", CancelReason::CreditLimitExceeded, "c3")
    }

    #[test]
    fn customers_below_the_threshold_are_listed_lowest_limit_first_with_their_available_credit() {
        let view = low(2_000, &story());
        assert_eq!(
            names(view.customers()),
            vec![("Cy", 500, 500), ("Ada", 1_000, 700)]
        );
    }

    #[test]
    fn a_limit_change_moves_a_customer_into_or_out_of_the_answer() {
        let view = low(
            2_000,
            &story()
                .limit_changed("c2", 1_500)
                .limit_changed("c1", 3_000),
        );
        assert_eq!(
            names(view.customers()),
            vec![("Cy", 500, 500), ("Bob", 1_500, 1_500)]
        );
        assert_eq!(
            view.credit_lines[&CustomerId::new("c1")].available_credit,
            Money::from_cents(2_700),
            "out of the answer, still tracked"
        );
    }

    #[test]
    fn released_credit_comes_back_and_a_deleted_customer_leaves_the_answer() {
        let log = story()
            .cancelled("o1", CancelReason::UserRequested, "c1")
            .released("c1", "o1", 300)
            .deleted("c3");
        assert_eq!(
            names(low(2_000, &log).customers()),
            vec![("Ada", 1_000, 1_000)]
        );
    }

    #[test]
    fn the_query_takes_any_limit_and_a_creation_date() {
        let view = low(2_000, &story());
        // Ada was created at 1 s, Bob at 2 s, Cy at 3 s.
        assert_eq!(
            names(view.below(Money::from_cents(100_000), Some(1_000))),
            vec![("Cy", 500, 500), ("Bob", 50_000, 50_000)]
        );
        assert!(view.below(Money::from_cents(500), None).is_empty());
    }

    #[test]
    fn the_threshold_travels_with_the_saved_view() {
        let view = low(2_000, &story());
        let back: LowCreditLimits =
            serde_json::from_str(&serde_json::to_string(&view).expect("json")).expect("loads");
        assert_eq!(back.threshold, Money::from_cents(2_000));
        assert_eq!(back, view);
    }
}
