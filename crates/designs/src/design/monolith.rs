//! Design 1, the monolith: ORDERS and CUSTOMERS in one database, and the credit check and the new
//! order in one ACID transaction (Part 1's credit check).

use super::common::{
    num, one_database_world, order_found, order_row, orders_of, put_customer, text, CUSTOMERS,
    ORDERS,
};
use super::{NewOrder, Options, Service, CUSTOMER};
use crate::check::World;
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{version_of, Commit, StorageError};

pub(crate) struct Monolith;

const DB: &str = "monolith-db";

impl Service for Monolith {
    fn databases(&self) -> &'static [&'static str] {
        &[DB]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, DB, Commit::new(), limit)
    }

    fn place_order(&self, env: &mut Env, _: &Options, order: &NewOrder) -> Step<()> {
        // One transaction reads the customer and its orders and writes the order. Orders placed
        // at once wait for each other's lock on the customer, so they run one after the other.
        let db = env.load(DB)?;
        let customer = db.row(CUSTOMERS, CUSTOMER).unwrap_or_default();
        let owed: u64 = orders_of(&db)
            .iter()
            .filter(|o| o.state == "APPROVED")
            .map(|o| o.total)
            .sum();
        let ok = owed + order.total <= num(&customer, "credit_limit");
        let state = if ok { "APPROVED" } else { "CANCELLED" };
        let mut locked = customer.clone();
        locked.insert(
            "version".into(),
            (num(&customer, "version") + 1).to_string(),
        );
        env.commit(
            DB,
            Commit::new()
                .expect(CUSTOMERS, CUSTOMER, version_of(Some(&customer)))
                .put(CUSTOMERS, CUSTOMER, locked)
                .put(ORDERS, &order.id, order_row(order.total, state)),
        )?;
        env.say(if ok {
            format!("One transaction checks the credit and stores order {} as APPROVED (${} of ${} owed).", order.id, owed + order.total, text(&customer, "credit_limit"))
        } else {
            format!("One transaction checks the credit: ${} more is over the limit, so order {} is stored as CANCELLED.", order.total, order.id)
        });
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!(
                "the monolith crashed right after committing order {}; it has nothing to publish",
                order.id
            )
        })
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
