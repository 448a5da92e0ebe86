//! Design 6, an EVENTS table in the same transaction (Part 2, Figure 3): each service inserts its
//! event into an EVENTS table in the transaction that changes its rows; a poller publishes the
//! table to the broker. Consistent, with business events, as long as every code path remembers to
//! insert its event: the lab's switch makes the approval path forget.

use super::common::*;
use super::{NewOrder, Options, Service};
use crate::check::World;
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{Commit, StorageError, CHECKPOINTS};

pub(crate) struct EventsTable;

const CUSTOMER_SERVICE: &str = "customer-service";
const ORDER_SERVICE: &str = "order-service";

impl EventsTable {
    /// Publishes the next row of `db`'s EVENTS table, with the poller's position, in one write.
    fn poller(&self, env: &mut Env, db: &str) -> Step<bool> {
        let name = format!("{db}-poller");
        let Some((seq, mut event)) = next(env, db, EVENTS, BROKER, &name)? else {
            return Ok(false);
        };
        event.remove("seq");
        let kind = text(&event, "type").to_string();
        let order = text(&event, "order").to_string();
        publish(env, vec![event], Some((&name, seq)))?;
        env.say(format!(
            "The poller publishes {kind} for {order} from {db}'s EVENTS table."
        ));
        env.point(CrashPoint::AfterPublish, || {
            format!("the poller crashed right after publishing {kind} for {order}")
        })?;
        Ok(true)
    }

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
        let reply = if ok {
            "CreditReserved"
        } else {
            "CreditLimitExceeded"
        };
        if !commit.writes.is_empty() {
            commit = commit.append(EVENTS, event(reply, &order, amount));
        }
        commit.writes.extend(checkpoint.writes);
        env.commit(CUSTOMERS_DB, commit)?;
        env.say(format!(
            "The Customer service writes its decision on {order} and {reply} to EVENTS in one transaction."
        ));
        env.point(CrashPoint::InConsumer, || {
            format!("the Customer service crashed right after committing its decision on {order}")
        })?;
        Ok(true)
    }

    fn order_service(&self, env: &mut Env, opts: &Options) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, ORDERS_DB, ORDER_SERVICE)? else {
            return Ok(false);
        };
        let mut commit = Commit::new().put(CHECKPOINTS, ORDER_SERVICE, checkpoint_row(seq));
        let (state, announce) = match text(&msg, "type") {
            "CreditReserved" => ("APPROVED", "OrderApproved"),
            "CreditLimitExceeded" => ("CANCELLED", "OrderCancelled"),
            _ => {
                env.commit(ORDERS_DB, commit)?;
                return Ok(true);
            }
        };
        let order = text(&msg, "order").to_string();
        let stored = env.load(ORDERS_DB)?.row(ORDERS, &order);
        let forgets = opts.forget_event && state == "APPROVED";
        if let Some(stored) = stored.filter(|r| text(r, "state") == "NEW") {
            commit = commit.put(ORDERS, &order, order_row(num(&stored, "total"), state));
            if !forgets {
                commit = commit.append(EVENTS, event(announce, &order, num(&stored, "total")));
            }
        }
        env.commit(ORDERS_DB, commit)?;
        env.say(if forgets {
            format!("The Order service writes {order} as {state}. This code path forgets to insert {announce} into EVENTS.")
        } else {
            format!("The Order service writes {order} as {state} and {announce} to EVENTS in one transaction.")
        });
        env.point(CrashPoint::InConsumer, || {
            format!("the Order service crashed right after committing {order} as {state}")
        })?;
        Ok(true)
    }
}

impl Service for EventsTable {
    fn databases(&self) -> &'static [&'static str] {
        &[ORDERS_DB, CUSTOMERS_DB, BROKER]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, CUSTOMERS_DB, Commit::new(), limit)
    }

    fn place_order(&self, env: &mut Env, _: &Options, order: &NewOrder) -> Step<()> {
        let id = &order.id;
        env.commit(
            ORDERS_DB,
            Commit::new()
                .put(ORDERS, id, order_row(order.total, "NEW"))
                .append(EVENTS, event("OrderCreated", id, order.total)),
        )?;
        env.say(format!("The Order service writes {id} to ORDERS and OrderCreated to EVENTS in one transaction."));
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!("the Order service crashed right after committing {id} with its event; the poller publishes it")
        })
    }

    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool> {
        order_found(env, ORDERS_DB, id)
    }

    fn consumers(&self) -> u32 {
        4
    }

    fn deliver(&self, env: &mut Env, opts: &Options, index: u32) -> Step<bool> {
        match index {
            0 => self.poller(env, ORDERS_DB),
            1 => self.poller(env, CUSTOMERS_DB),
            2 => self.customer_service(env),
            _ => self.order_service(env, opts),
        }
    }

    fn world(&self, env: &mut Env) -> Result<World, StorageError> {
        services_world(env)
    }
}
