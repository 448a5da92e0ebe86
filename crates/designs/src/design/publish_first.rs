//! Design 4, publish first (Part 2, Figure 1): a service updates its database by publishing an
//! event; a consumer of the broker writes the table later. Nothing is lost, but the service cannot
//! read its own write right away, and a decision made from a table that has not caught up yet is
//! made on old data.

use super::common::*;
use super::{NewOrder, Options, Service, CUSTOMER};
use crate::check::World;
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{row, Commit, StorageError, CHECKPOINTS};

pub(crate) struct PublishFirst;

const ORDERS_APPLIER: &str = "orders-applier";
const CUSTOMERS_APPLIER: &str = "customers-applier";
const CUSTOMER_SERVICE: &str = "customer-service";
const ORDER_SERVICE: &str = "order-service";

impl PublishFirst {
    /// Writes the Order service's own events into ORDERS.
    fn orders_applier(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, ORDERS_DB, ORDERS_APPLIER)? else {
            return Ok(false);
        };
        let mut commit = Commit::new().put(CHECKPOINTS, ORDERS_APPLIER, checkpoint_row(seq));
        let order = text(&msg, "order").to_string();
        let state = match text(&msg, "type") {
            "OrderCreated" => Some("NEW"),
            "OrderApproved" => Some("APPROVED"),
            "OrderCancelled" => Some("CANCELLED"),
            _ => None,
        };
        if let Some(state) = state {
            commit = commit.put(ORDERS, &order, order_row(num(&msg, "amount"), state));
        }
        env.commit(ORDERS_DB, commit)?;
        if let Some(state) = state {
            env.say(format!(
                "The Order service's consumer writes {order} to ORDERS as {state}."
            ));
            env.point(CrashPoint::InConsumer, || {
                format!(
                    "the Order service's consumer crashed right after writing {order} as {state}"
                )
            })?;
        }
        Ok(true)
    }

    /// Decides on new orders from CUSTOMERS and RESERVATIONS as they are now, and publishes.
    fn customer_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, BROKER, CUSTOMER_SERVICE)? else {
            return Ok(false);
        };
        if text(&msg, "type") != "OrderCreated" {
            publish(env, Vec::new(), Some((CUSTOMER_SERVICE, seq)))?;
            return Ok(true);
        }
        let order = text(&msg, "order").to_string();
        let amount = num(&msg, "amount");
        let db = env.load(CUSTOMERS_DB)?;
        let reserved = db
            .cell(CUSTOMERS, CUSTOMER, "credit_reserved")
            .unwrap_or_default();
        let (_, ok) = decide_credit(&db, &order, amount);
        let reply = if ok {
            "CreditReserved"
        } else {
            "CreditLimitExceeded"
        };
        publish(
            env,
            vec![event(reply, &order, amount)],
            Some((CUSTOMER_SERVICE, seq)),
        )?;
        env.say(format!(
            "The Customer service reads CUSTOMERS (${reserved} reserved so far) and publishes {reply} for {order}."
        ));
        env.point(CrashPoint::AfterPublish, || {
            format!("the Customer service crashed right after publishing {reply} for {order}")
        })?;
        Ok(true)
    }

    /// Writes the Customer service's own events into CUSTOMERS and RESERVATIONS.
    fn customers_applier(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, CUSTOMERS_DB, CUSTOMERS_APPLIER)? else {
            return Ok(false);
        };
        let mut commit = Commit::new().put(CHECKPOINTS, CUSTOMERS_APPLIER, checkpoint_row(seq));
        let order = text(&msg, "order").to_string();
        let amount = num(&msg, "amount");
        let kind = text(&msg, "type").to_string();
        let reserved = kind == "CreditReserved";
        if reserved || kind == "CreditLimitExceeded" {
            let db = env.load(CUSTOMERS_DB)?;
            commit = commit.put(
                RESERVATIONS,
                &order,
                row([
                    ("customer", CUSTOMER.to_string()),
                    ("amount", amount.to_string()),
                    (
                        "state",
                        if reserved { "RESERVED" } else { "REFUSED" }.to_string(),
                    ),
                ]),
            );
            if reserved {
                let mut customer = db.row(CUSTOMERS, CUSTOMER).unwrap_or_default();
                let now = num(&customer, "credit_reserved") + amount;
                customer.insert("credit_reserved".into(), now.to_string());
                customer.insert(
                    "version".into(),
                    (num(&customer, "version") + 1).to_string(),
                );
                commit = commit.put(CUSTOMERS, CUSTOMER, customer);
            }
        }
        env.commit(CUSTOMERS_DB, commit)?;
        if reserved || kind == "CreditLimitExceeded" {
            env.say(format!(
                "The Customer service's consumer writes {kind} for {order} to its tables."
            ));
            env.point(CrashPoint::InConsumer, || {
                format!("the Customer service's consumer crashed right after writing {kind} for {order}")
            })?;
        }
        Ok(true)
    }

    /// Turns the credit answer into the order's next state, by publishing it.
    fn order_service(&self, env: &mut Env) -> Step<bool> {
        let Some((seq, msg)) = next(env, BROKER, MESSAGES, BROKER, ORDER_SERVICE)? else {
            return Ok(false);
        };
        let announce = match text(&msg, "type") {
            "CreditReserved" => "OrderApproved",
            "CreditLimitExceeded" => "OrderCancelled",
            _ => {
                publish(env, Vec::new(), Some((ORDER_SERVICE, seq)))?;
                return Ok(true);
            }
        };
        let order = text(&msg, "order").to_string();
        publish(
            env,
            vec![event(announce, &order, num(&msg, "amount"))],
            Some((ORDER_SERVICE, seq)),
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

impl Service for PublishFirst {
    fn databases(&self) -> &'static [&'static str] {
        &[ORDERS_DB, CUSTOMERS_DB, BROKER]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        put_customer(env, CUSTOMERS_DB, Commit::new(), limit)
    }

    fn place_order(&self, env: &mut Env, _: &Options, order: &NewOrder) -> Step<()> {
        let id = &order.id;
        publish(env, vec![event("OrderCreated", id, order.total)], None)?;
        env.say(format!("The Order service publishes OrderCreated for {id}. ORDERS will be written by its consumer."));
        env.point(CrashPoint::AfterPublish, || {
            format!("the Order service crashed right after publishing OrderCreated for {id}")
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
            0 => self.orders_applier(env),
            1 => self.customer_service(env),
            2 => self.customers_applier(env),
            _ => self.order_service(env),
        }
    }

    fn world(&self, env: &mut Env) -> Result<World, StorageError> {
        services_world(env)
    }
}
