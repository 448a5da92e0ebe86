//! Design 2, one bigger aggregate: the Customer holds its Orders, so the credit check and the new
//! order are one aggregate's update (Part 1, One Transaction Creates or Updates One Aggregate).
//! Each update checks the Customer's version, so two orders of one customer placed at once
//! conflict: one waits its turn and is tried again.

use super::common::{
    num, one_database_world, order_found, order_row, put_customer, CUSTOMERS, ORDERS,
};
use super::{NewOrder, Options, Service, CUSTOMER};
use crate::check::World;
use crate::env::{CrashPoint, Env, Halt, Step};
use crate::storage::{version_of, Commit, Database, StorageError};
use std::rc::Rc;

pub(crate) struct OneAggregate;

const DB: &str = "customers-db";

/// How often a command is tried when another update of the same Customer got in first.
const TRIES: usize = 3;

impl OneAggregate {
    /// Decides on the Customer as loaded in `db` and commits, expecting the version it loaded.
    fn decide_and_commit(&self, env: &mut Env, db: &Database, order: &NewOrder) -> Step<()> {
        let customer = db.row(CUSTOMERS, CUSTOMER).unwrap_or_default();
        let reserved = num(&customer, "credit_reserved");
        let ok = reserved + order.total <= num(&customer, "credit_limit");
        let mut updated = customer.clone();
        updated.insert(
            "version".into(),
            (num(&customer, "version") + 1).to_string(),
        );
        if ok {
            updated.insert(
                "credit_reserved".into(),
                (reserved + order.total).to_string(),
            );
        }
        let state = if ok { "APPROVED" } else { "CANCELLED" };
        env.commit(
            DB,
            Commit::new()
                .expect(CUSTOMERS, CUSTOMER, version_of(Some(&customer)))
                .put(CUSTOMERS, CUSTOMER, updated)
                .put(ORDERS, &order.id, order_row(order.total, state)),
        )?;
        env.say(format!(
            "Customer {CUSTOMER} (version {}) takes order {} as {state} in one update.",
            num(&customer, "version"),
            order.id
        ));
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!(
                "the service crashed right after storing order {}; it has nothing to publish",
                order.id
            )
        })
    }

    /// Commits after a load that may be stale; on a conflict, loads again and retries.
    fn place_from(&self, env: &mut Env, mut db: Rc<Database>, order: &NewOrder) -> Step<()> {
        for _ in 1..TRIES {
            match self.decide_and_commit(env, &db, order) {
                Err(Halt::Storage(StorageError::Conflict {
                    expected, found, ..
                })) => {
                    env.seen.conflicts.push((CUSTOMER.into(), order.id.clone()));
                    env.say(format!(
                        "Order {} expected customer {CUSTOMER} at version {}, but another order got in first (version {}). Conflict: nothing stored; load again and retry.",
                        order.id,
                        expected.unwrap_or(0),
                        found.unwrap_or(0)
                    ));
                    db = env.load(DB)?;
                }
                other => return other,
            }
        }
        self.decide_and_commit(env, &db, order)
    }
}

impl Service for OneAggregate {
    fn databases(&self) -> &'static [&'static str] {
        &[DB]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, DB, Commit::new(), limit)
    }

    fn place_order(&self, env: &mut Env, _: &Options, order: &NewOrder) -> Step<()> {
        let db = env.load(DB)?;
        self.place_from(env, db, order)
    }

    fn place_at_once(
        &self,
        env: &mut Env,
        _: &Options,
        orders: &[NewOrder],
    ) -> Vec<(String, Step<()>)> {
        // Every request loads the Customer before any of them commits.
        let loads: Vec<_> = orders.iter().map(|_| env.load(DB)).collect();
        orders
            .iter()
            .zip(loads)
            .map(|(order, db)| {
                let result = match db {
                    Ok(db) => self.place_from(env, db, order),
                    Err(e) => Err(Halt::Storage(e)),
                };
                (order.id.clone(), result)
            })
            .collect()
    }

    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool> {
        order_found(env, DB, id)
    }

    fn consumers(&self) -> u32 {
        0
    }

    fn deliver(&self, _: &mut Env, _: &Options, _: u32) -> Step<bool> {
        Ok(false)
    }

    fn world(&self, env: &mut Env) -> Result<World, StorageError> {
        one_database_world(env, DB)
    }
}
