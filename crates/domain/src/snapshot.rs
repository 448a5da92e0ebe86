//! Snapshots (seed 000, "Using Snapshots to Improve Performance"): an aggregate's state written as
//! JSON together with the version of its shape, so that a load can start the fold from the snapshot
//! instead of from the first event. The fold is the same one; only its initial value changes.
//!
//! A snapshot is a cache, never a fact: one written under another state schema, or one that does
//! not read back, is rejected here and the caller folds from the first event instead.

use crate::customer::CustomerDecider;
use crate::decider::Decider;
use crate::order::OrderDecider;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// An aggregate whose state can be snapshotted: its state has a serialized form, and that form has
/// a schema version.
pub trait Snapshotting: Decider<State: Serialize + DeserializeOwned> {
    /// The version of the state's serialized shape. Bump it whenever the JSON of `State` changes
    /// shape or meaning: snapshots written under any other version are then skipped and rebuilt,
    /// never misread.
    const STATE_SCHEMA: u32;

    /// The state as JSON, to be stored with [`Snapshotting::STATE_SCHEMA`].
    fn encode_state(state: &Self::State) -> Result<String, serde_json::Error> {
        serde_json::to_string(state)
    }

    /// Reads back a state stored under `state_schema`, refusing any schema but the current one.
    fn decode_state(state_schema: u32, json: &str) -> Result<Self::State, SnapshotRejection> {
        if state_schema < Self::STATE_SCHEMA {
            return Err(SnapshotRejection::OlderSchema {
                found: state_schema,
                current: Self::STATE_SCHEMA,
            });
        }
        if state_schema > Self::STATE_SCHEMA {
            return Err(SnapshotRejection::NewerSchema {
                found: state_schema,
                current: Self::STATE_SCHEMA,
            });
        }
        serde_json::from_str(json).map_err(|e| SnapshotRejection::Unreadable(e.to_string()))
    }
}

/// Why a stored snapshot is not trusted as the start of a fold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotRejection {
    /// It was written under an older shape of the state than this code folds.
    OlderSchema {
        /// The schema it was written with.
        found: u32,
        /// The schema this code writes.
        current: u32,
    },
    /// It was written by a newer version of Foldlab.
    NewerSchema {
        /// The schema it was written with.
        found: u32,
        /// The schema this code writes.
        current: u32,
    },
    /// Its JSON does not read back as the state.
    Unreadable(String),
}

impl fmt::Display for SnapshotRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotRejection::OlderSchema { found, current } => write!(
                f,
                "it was written under state schema {found}, older than the current {current}"
            ),
            SnapshotRejection::NewerSchema { found, current } => write!(
                f,
                "it was written under state schema {found}, newer than the {current} this version of Foldlab reads"
            ),
            SnapshotRejection::Unreadable(message) => {
                write!(f, "its state does not read back: {message}")
            }
        }
    }
}

impl std::error::Error for SnapshotRejection {}

// The schema constants sit here, beside the tests that pin each state's JSON: changing a state's
// shape fails `the_stored_state_json_is_pinned_to_its_schema` until the constant is bumped.

impl Snapshotting for CustomerDecider {
    const STATE_SCHEMA: u32 = 1;
}

impl Snapshotting for OrderDecider {
    const STATE_SCHEMA: u32 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{
        CreditLimitChanged, CreditLimitExceeded, CreditReleased, CreditReservationRefused,
        CreditReserved, CustomerCreated, CustomerEvent,
    };
    use crate::decider::fold;
    use crate::ids::{CustomerId, OrderId};
    use crate::money::Money;
    use crate::order::{CancelReason, LineItem, OrderCancelled, OrderCreated, OrderEvent};
    use proptest::prelude::*;

    fn customer_history() -> Vec<CustomerEvent> {
        vec![
            CustomerEvent::Created(CustomerCreated {
                name: "Ada \"the first\" Zoë".into(),
                credit_limit: Money::from_cents(1_000),
            }),
            CustomerEvent::CreditReserved(CreditReserved {
                order_id: OrderId::new("o1"),
                amount: Money::from_cents(300),
            }),
        ]
    }

    #[test]
    fn a_snapshot_of_the_current_schema_reads_back_as_the_state() {
        let state = fold::<CustomerDecider>(CustomerDecider::initial_state(), &customer_history());
        let json = CustomerDecider::encode_state(&state).expect("encode");
        assert_eq!(
            CustomerDecider::decode_state(CustomerDecider::STATE_SCHEMA, &json),
            Ok(state)
        );
    }

    #[test]
    fn a_snapshot_with_an_older_schema_is_rejected_even_when_its_json_would_parse() {
        let state = fold::<CustomerDecider>(CustomerDecider::initial_state(), &customer_history());
        let json = CustomerDecider::encode_state(&state).expect("encode");
        assert_eq!(
            CustomerDecider::decode_state(0, &json),
            Err(SnapshotRejection::OlderSchema {
                found: 0,
                current: 1
            })
        );
        assert_eq!(
            OrderDecider::decode_state(2, "\"Absent\""),
            Err(SnapshotRejection::NewerSchema {
                found: 2,
                current: 1
            })
        );
    }

    #[test]
    fn a_snapshot_that_does_not_deserialize_is_rejected_not_misread() {
        for json in [
            "",
            "{half",
            "{\"Active\":{\"name\":\"Ada\"}}",
            "\"Placed\"",
            "{\"Active\":{\"name\":\"Ada\",\"credit_limit\":\"lots\",\"reservations\":{}}}",
        ] {
            assert!(
                matches!(
                    CustomerDecider::decode_state(1, json),
                    Err(SnapshotRejection::Unreadable(_))
                ),
                "{json:?} must not read as a customer"
            );
        }
    }

    /// A change to a state's shape must bump its STATE_SCHEMA: this test fails first, and says so.
    #[test]
    fn the_stored_state_json_is_pinned_to_its_schema() {
        let customer =
            fold::<CustomerDecider>(CustomerDecider::initial_state(), &customer_history());
        assert_eq!(
            (
                CustomerDecider::STATE_SCHEMA,
                CustomerDecider::encode_state(&customer).expect("encode")
            ),
            (
                1,
                r#"{"Active":{"name":"Ada \"the first\" Zoë","credit_limit":1000,"reservations":{"o1":300},"released":[]}}"#
                    .to_string()
            ),
            "the Customer state's JSON changed: bump CustomerDecider::STATE_SCHEMA and this test"
        );
        let order = fold::<OrderDecider>(
            OrderDecider::initial_state(),
            &[OrderEvent::Created(OrderCreated {
                customer_id: CustomerId::new("c1"),
                line_items: vec![LineItem::new("item", 1, Money::from_cents(250))],
            })],
        );
        assert_eq!(
            (
                OrderDecider::STATE_SCHEMA,
                OrderDecider::encode_state(&order).expect("encode"),
                OrderDecider::encode_state(&OrderDecider::initial_state()).expect("encode"),
            ),
            (
                1,
                r#"{"Placed":{"customer_id":"c1","line_items":[{"product_id":"item","quantity":1,"unit_price_cents":250}],"total":250,"status":"NEW"}}"#.to_string(),
                r#""Absent""#.to_string()
            ),
            "the Order state's JSON changed: bump OrderDecider::STATE_SCHEMA and this test"
        );
    }

    fn order_ids() -> impl Strategy<Value = OrderId> {
        (0..20u8).prop_map(|n| OrderId::new(format!("o{n}")))
    }

    fn cents() -> impl Strategy<Value = Money> {
        (-1_000i64..100_000).prop_map(Money::from_cents)
    }

    /// Any Customer event, in any order: `evolve` is total, so even histories `decide` would never
    /// produce must fold the same way from a snapshot.
    fn customer_event() -> impl Strategy<Value = CustomerEvent> {
        prop_oneof![
            1 => ("[a-zA-Zé\" ]{0,12}", cents()).prop_map(|(name, credit_limit)| {
                CustomerEvent::Created(CustomerCreated { name, credit_limit })
            }),
            4 => (order_ids(), cents()).prop_map(|(order_id, amount)| {
                CustomerEvent::CreditReserved(CreditReserved { order_id, amount })
            }),
            2 => (order_ids(), cents(), cents()).prop_map(|(order_id, amount, available)| {
                CustomerEvent::CreditLimitExceeded(CreditLimitExceeded {
                    order_id,
                    amount,
                    available,
                })
            }),
            1 => (order_ids(), cents()).prop_map(|(order_id, amount)| {
                CustomerEvent::CreditReservationRefused(CreditReservationRefused { order_id, amount })
            }),
            2 => (order_ids(), cents()).prop_map(|(order_id, amount)| {
                CustomerEvent::CreditReleased(CreditReleased { order_id, amount })
            }),
            1 => cents().prop_map(|new_limit| CustomerEvent::CreditLimitChanged(CreditLimitChanged { new_limit })),
            1 => Just(CustomerEvent::Deleted),
        ]
    }

    fn order_event() -> impl Strategy<Value = OrderEvent> {
        prop_oneof![
            (0..5u8, 1u32..4, cents()).prop_map(|(c, quantity, price)| OrderEvent::Created(
                OrderCreated {
                    customer_id: CustomerId::new(format!("c{c}")),
                    line_items: vec![LineItem::new("item", quantity, price)],
                }
            )),
            Just(OrderEvent::Approved),
            Just(OrderEvent::Shipped),
            Just(OrderEvent::Cancelled(OrderCancelled {
                reason: CancelReason::CreditLimitExceeded,
                customer_id: None,
            })),
            Just(OrderEvent::Cancelled(OrderCancelled {
                reason: CancelReason::UserRequested,
                customer_id: Some(CustomerId::new("c1")),
            })),
        ]
    }

    /// Figure 5 for every snapshot an "every N events" policy would take: the state decoded from
    /// the snapshot at `k`, folded with the events after `k`, is the fold of the whole history.
    fn snapshot_plus_tail_is_the_full_fold<D: Snapshotting>(events: &[D::Event], every: usize)
    where
        D::State: PartialEq + fmt::Debug,
    {
        let full = fold::<D>(D::initial_state(), events);
        for k in (every..=events.len()).step_by(every) {
            let at_k = fold::<D>(D::initial_state(), &events[..k]);
            let json = D::encode_state(&at_k).expect("encode");
            let restored = D::decode_state(D::STATE_SCHEMA, &json).expect("decode");
            assert_eq!(
                fold::<D>(restored, &events[k..]),
                full,
                "snapshot at {k} of {}",
                events.len()
            );
        }
    }

    proptest! {
        #[test]
        fn a_customer_folded_from_any_snapshot_equals_the_full_fold(
            events in prop::collection::vec(customer_event(), 0..80),
            every in 1usize..30,
        ) {
            snapshot_plus_tail_is_the_full_fold::<CustomerDecider>(&events, every);
        }

        #[test]
        fn an_order_folded_from_any_snapshot_equals_the_full_fold(
            events in prop::collection::vec(order_event(), 0..20),
            every in 1usize..8,
        ) {
            snapshot_plus_tail_is_the_full_fold::<OrderDecider>(&events, every);
        }
    }
}
