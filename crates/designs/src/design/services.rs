//! Design 3, services with a dual write: each service writes its own table, then publishes to the
//! broker, two writes with nothing tying them together (Part 2, Reliably Updating State and
//! Publishing Events).

use super::common::*;
use super::{NewOrder, Options, Service};
use crate::check::World;
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{Commit, StorageError, CHECKPOINTS};

pub(crate) struct DualWrite;

/// The Customer service's position on the broker.
const CUSTOMER_SERVICE: &str = "customer-service";
/// The Order service's position on the broker.
const ORDER_SERVICE: &str = "order-service";

impl DualWrite {
    fn customer_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, CUSTOMERS_DB, CUSTOMER_SERVICE)? else {
            return Ok(false);
        };
        let checkpoint = Commit::new().put(CHECKPOINTS, CUSTOMER_SERVICE, checkpoint_row(seq));
        if text(&msg, "type") != "OrderCreated" {
            env.commit(CUSTOMERS_DB, checkpoint)?;
            return Ok(true);
        }
        let order = text(&msg, "order").to_string();
        let amount = num(&msg, "amount");
        let (mut commit, ok) = decide_credit(&*env.load(CUSTOMERS_DB)?, &order, amount);
        commit.writes.extend(checkpoint.writes);
        env.commit(CUSTOMERS_DB, commit)?;
        let reply = if ok {
            "CreditReserved"
        } else {
            "CreditLimitExceeded"
        };
        env.say(format!(
            "The Customer service reads OrderCreated for {order} and writes its decision to CUSTOMERS and RESERVATIONS ({}).",
            if ok { "reserved" } else { "refused" }
        ));
        env.point(CrashPoint::InConsumer, || {
            format!("the Customer service crashed after writing its decision on {order}, before publishing {reply}")
        })?;
        publish(env, vec![event(reply, &order, amount)], None)?;
        env.say(format!(
            "The Customer service publishes {reply} for {order}."
        ));
        env.point(CrashPoint::AfterPublish, || {
            format!("the Customer service crashed right after publishing {reply} for {order}")
        })?;
        Ok(true)
    }

    fn order_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, ORDERS_DB, ORDER_SERVICE)? else {
            return Ok(false);
        };
        let mut commit = Commit::new().put(CHECKPOINTS, ORDER_SERVICE, checkpoint_row(seq));
        let state = match text(&msg, "type") {
            "CreditReserved" => "APPROVED",
            "CreditLimitExceeded" => "CANCELLED",
            _ => {
                env.commit(ORDERS_DB, commit)?;
                return Ok(true);
            }
        };
        let order = text(&msg, "order").to_string();
        let db = env.load(ORDERS_DB)?;
        let Some(stored) = db.row(ORDERS, &order).filter(|r| text(r, "state") == "NEW") else {
            env.commit(ORDERS_DB, commit)?;
            env.say(format!("The Order service gets {} for {order}, an order it has no NEW row for, and skips it.", text(&msg, "type")));
            return Ok(true);
        };
        commit = commit.put(ORDERS, &order, order_row(num(&stored, "total"), state));
        env.commit(ORDERS_DB, commit)?;
        let announce = if state == "APPROVED" {
            "OrderApproved"
        } else {
            "OrderCancelled"
        };
        env.say(format!("The Order service writes {order} as {state}."));
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!("the Order service crashed after writing {order} as {state}, before publishing {announce}")
        })?;
        publish(
            env,
            vec![event(announce, &order, num(&stored, "total"))],
            None,
        )?;
        env.say(format!(
            "The Order service publishes {announce} for {order}."
        ));
        env.point(CrashPoint::AfterPublish, || {
            format!("the Order service crashed right after publishing {announce} for {order}")
        })?;
        Ok(true)
    }
}

impl Service for DualWrite {
    fn databases(&self) -> &'static [&'static str] {
        &[ORDERS_DB, CUSTOMERS_DB, BROKER]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, CUSTOMERS_DB, Commit::new(), limit)
    }

    fn place_order(&self, env: &mut Env, opts: &Options, order: &NewOrder) -> Step<()> {
        let id = &order.id;
        let write = Commit::new().put(ORDERS, id, order_row(order.total, "NEW"));
        let created = || vec![event("OrderCreated", id, order.total)];
        if opts.publish_before_write {
            publish(env, created(), None)?;
            env.say(format!(
                "The Order service publishes OrderCreated for {id} first."
            ));
            env.point(CrashPoint::BetweenWriteAndPublish, || {
                format!("the Order service crashed after publishing OrderCreated for {id}, before writing it to ORDERS")
            })?;
            env.commit(ORDERS_DB, write)?;
            env.say(format!("Then it writes {id} to ORDERS as NEW."));
        } else {
            env.commit(ORDERS_DB, write)?;
            env.say(format!("The Order service writes {id} to ORDERS as NEW."));
            env.point(CrashPoint::BetweenWriteAndPublish, || {
                format!("the Order service crashed after writing {id} to ORDERS, before publishing OrderCreated")
            })?;
            publish(env, created(), None)?;
            env.say(format!("Then it publishes OrderCreated for {id}."));
            env.point(CrashPoint::AfterPublish, || {
                format!("the Order service crashed right after publishing OrderCreated for {id}")
            })?;
        }
        Ok(())
    }

    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool> {
        order_found(env, ORDERS_DB, id)
    }

    fn consumers(&self) -> u32 {
        2
    }

    fn deliver(&self, env: &mut Env, _: &Options, index: u32) -> Step<bool> {
        match index {
            0 => self.customer_service(env),
            _ => self.order_service(env),
        }
    }

    fn world(&self, env: &mut Env) -> Result<World, StorageError> {
        services_world(env)
    }
}
