//! Design 5, transaction-log tailing (Part 2, Figure 2): services only write their tables; a
//! tailer reads each database's transaction log and publishes every row change. Nothing is lost,
//! but subscribers get row changes and must work out what they mean.

use super::common::*;
use super::{NewOrder, Options, Service};
use crate::check::{Told, World};
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{Commit, Row, StorageError, CHECKPOINTS, TRANSACTION_LOG};

pub(crate) struct LogTailing;

const CUSTOMER_SERVICE: &str = "customer-service";
const ORDER_SERVICE: &str = "order-service";

/// The columns of an INSERT's logged row, `a=1, b=2`.
fn inserted(change: &Row) -> Row {
    text(change, "new")
        .split(", ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One row change in words, as the lab shows it.
fn describe(change: &Row) -> String {
    match text(change, "op") {
        "INSERT" => format!(
            "INSERT into {} ({})",
            text(change, "table"),
            text(change, "key")
        ),
        _ => format!(
            "UPDATE of {}.{} ({}: {} → {})",
            text(change, "table"),
            text(change, "column"),
            text(change, "key"),
            text(change, "old"),
            text(change, "new")
        ),
    }
}

impl LogTailing {
    /// Publishes the next change in `db`'s log, with the tailer's position, in one broker write.
    fn tailer(&self, env: &mut Env, db: &str) -> Step<bool> {
        let name = format!("{db}-tailer");
        let Some((seq, mut change)) = next(env, db, TRANSACTION_LOG, BROKER, &name)? else {
            return Ok(false);
        };
        change.remove("seq");
        change.insert("type".into(), "RowChange".into());
        change.insert("database".into(), db.into());
        let said = describe(&change);
        publish(env, vec![change], Some((&name, seq)))?;
        env.say(format!("The log tailer publishes {said} from {db}'s log."));
        env.point(CrashPoint::AfterPublish, || {
            format!("the log tailer crashed right after publishing {said}")
        })?;
        Ok(true)
    }

    /// Reserves credit when it sees a row inserted into ORDERS.
    fn customer_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, CUSTOMERS_DB, CUSTOMER_SERVICE)? else {
            return Ok(false);
        };
        let checkpoint =
            Commit::new()
                .logged()
                .put(CHECKPOINTS, CUSTOMER_SERVICE, checkpoint_row(seq));
        if !(text(&msg, "op") == "INSERT" && text(&msg, "table") == ORDERS) {
            env.commit(CUSTOMERS_DB, checkpoint)?;
            return Ok(true);
        }
        let order = text(&msg, "key").to_string();
        let amount = num(&inserted(&msg), "total");
        let (mut commit, ok) = decide_credit(&*env.load(CUSTOMERS_DB)?, &order, amount);
        commit.writes.extend(checkpoint.writes);
        env.commit(CUSTOMERS_DB, commit.logged())?;
        env.say(format!(
            "The Customer service sees an INSERT into ORDERS ({order}), works out that it is a new order, and {} credit.",
            if ok { "reserves" } else { "refuses" }
        ));
        env.point(CrashPoint::InConsumer, || {
            format!("the Customer service crashed right after writing its decision on {order}")
        })?;
        Ok(true)
    }

    /// Approves or cancels when it sees a row inserted into RESERVATIONS.
    fn order_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, ORDERS_DB, ORDER_SERVICE)? else {
            return Ok(false);
        };
        let mut commit =
            Commit::new()
                .logged()
                .put(CHECKPOINTS, ORDER_SERVICE, checkpoint_row(seq));
        if !(text(&msg, "op") == "INSERT" && text(&msg, "table") == RESERVATIONS) {
            env.commit(ORDERS_DB, commit)?;
            return Ok(true);
        }
        let order = text(&msg, "key").to_string();
        let state = if text(&inserted(&msg), "state") == "RESERVED" {
            "APPROVED"
        } else {
            "CANCELLED"
        };
        let stored = env.load(ORDERS_DB)?.row(ORDERS, &order);
        if let Some(stored) = stored.filter(|r| text(r, "state") == "NEW") {
            commit = commit.put(ORDERS, &order, order_row(num(&stored, "total"), state));
        }
        env.commit(ORDERS_DB, commit)?;
        env.say(format!(
            "The Order service sees an INSERT into RESERVATIONS for {order}, works out what it means, and writes {order} as {state}."
        ));
        env.point(CrashPoint::InConsumer, || {
            format!("the Order service crashed right after writing {order} as {state}")
        })?;
        Ok(true)
    }
}

impl Service for LogTailing {
    fn databases(&self) -> &'static [&'static str] {
        &[ORDERS_DB, CUSTOMERS_DB, BROKER]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, CUSTOMERS_DB, Commit::new().logged(), limit)
    }

    fn place_order(&self, env: &mut Env, _: &Options, order: &NewOrder) -> Step<()> {
        let id = &order.id;
        env.commit(
            ORDERS_DB,
            Commit::new()
                .logged()
                .put(ORDERS, id, order_row(order.total, "NEW")),
        )?;
        env.say(format!("The Order service writes {id} to ORDERS as NEW. The database's log records the change."));
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!("the Order service crashed right after writing {id} to ORDERS; it publishes nothing itself")
        })
    }

    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool> {
        order_found(env, ORDERS_DB, id)
    }

    fn consumers(&self) -> u32 {
        4
    }

    fn deliver(&self, env: &mut Env, _: &Options, index: u32) -> Step<bool> {
        match index {
            0 => self.tailer(env, ORDERS_DB),
            1 => self.tailer(env, CUSTOMERS_DB),
            2 => self.customer_service(env),
            _ => self.order_service(env),
        }
    }

    fn world(&self, env: &mut Env) -> Result<World, StorageError> {
        let messages = env.load(BROKER)?.table(MESSAGES);
        let mut told = Vec::new();
        let mut example = None;
        for change in messages.values() {
            let key = text(change, "key").to_string();
            match (
                text(change, "op"),
                text(change, "table"),
                text(change, "column"),
            ) {
                ("INSERT", ORDERS, _) => told.push(Told {
                    order: key,
                    state: "NEW".into(),
                }),
                ("UPDATE", ORDERS, "state") => told.push(Told {
                    order: key,
                    state: text(change, "new").to_string(),
                }),
                ("INSERT", RESERVATIONS, _) => told.push(Told {
                    order: key,
                    state: "CREDIT".into(),
                }),
                ("UPDATE", CUSTOMERS, "credit_reserved") if example.is_none() => {
                    example = Some(describe(change))
                }
                _ => {}
            }
        }
        if example.is_none() {
            example = messages.values().next().map(describe);
        }
        Ok(World {
            told,
            row_change: example,
            ..services_world(env)?
        })
    }
}
