//! Design 7, event sourcing (Part 2, Developing Microservices with Event Sourcing): each aggregate
//! is a sequence of events in one EVENTS table; its state is the fold of them. Saving the event is
//! the only write, so there is nothing else to publish and nothing to lose between two writes.

use super::common::{checkpoint_row, text};
use super::{NewOrder, Options, Service, CUSTOMER};
use crate::check::{CustomerFact, OrderFact, Told, World};
use crate::env::{CrashPoint, Env, Step};
use crate::storage::{row, version_of, Commit, Database, Row, StorageError, CHECKPOINTS};
use serde_json::{json, Value};

pub(crate) struct EventSourcing;

const STORE: &str = "event-store";
/// Every event, in order: event_id, entity_type, entity_id, version, event_type, event_data.
const EVENTS: &str = "EVENTS";
/// Each aggregate's latest version, checked and moved by every append (as an event store's
/// entities table does), so two appends to one aggregate cannot both win.
const ENTITIES: &str = "ENTITIES";
const CUSTOMER_SERVICE: &str = "customer-service";
const ORDER_SERVICE: &str = "order-service";

fn data(r: &Row) -> Value {
    serde_json::from_str(text(r, "event_data")).unwrap_or(Value::Null)
}

fn stream<'d>(
    db: &'d Database,
    entity_type: &'d str,
    id: &'d str,
) -> impl Iterator<Item = &'d Row> + 'd {
    db.tables
        .get(EVENTS)
        .into_iter()
        .flat_map(|t| t.values())
        .filter(move |r| text(r, "entity_type") == entity_type && text(r, "entity_id") == id)
}

/// The Order's state: the fold of its events (None before OrderCreated).
fn order(db: &Database, id: &str) -> Option<OrderFact> {
    stream(db, "Order", id).fold(None, |state, e| {
        let d = data(e);
        match (text(e, "event_type"), state) {
            ("OrderCreated", _) => Some(OrderFact {
                id: id.into(),
                customer: d["customer"].as_str().unwrap_or_default().into(),
                total: d["total"].as_u64().unwrap_or(0),
                state: "NEW".into(),
            }),
            ("OrderApproved", Some(o)) => Some(OrderFact {
                state: "APPROVED".into(),
                ..o
            }),
            ("OrderCancelled", Some(o)) => Some(OrderFact {
                state: "CANCELLED".into(),
                ..o
            }),
            (_, state) => state,
        }
    })
}

/// The Customer's state: the fold of its events.
fn customer(db: &Database) -> CustomerFact {
    let empty = CustomerFact {
        id: CUSTOMER.into(),
        limit: 0,
        held: Vec::new(),
    };
    stream(db, "Customer", CUSTOMER).fold(empty, |mut c, e| {
        let d = data(e);
        match text(e, "event_type") {
            "CustomerCreated" => c.limit = d["credit_limit"].as_u64().unwrap_or(0),
            "CreditReserved" => c.held.push((
                d["order"].as_str().unwrap_or_default().into(),
                d["amount"].as_u64().unwrap_or(0),
            )),
            _ => {}
        }
        c
    })
}

/// An append to one aggregate, expecting the version the decision was made on.
fn append(
    db: &Database,
    entity_type: &str,
    id: &str,
    event_type: &str,
    event_data: Value,
) -> Commit {
    let key = format!("{entity_type}/{id}");
    let loaded = version_of(db.row(ENTITIES, &key).as_ref());
    let version = loaded.unwrap_or(0) + 1;
    Commit::new()
        .expect(ENTITIES, &key, loaded)
        .put(ENTITIES, &key, row([("version", version.to_string())]))
        .append(
            EVENTS,
            row([
                ("entity_type", entity_type.to_string()),
                ("entity_id", id.to_string()),
                ("version", version.to_string()),
                ("event_type", event_type.to_string()),
                ("event_data", event_data.to_string()),
            ]),
        )
}

/// The next event after `consumer`'s checkpoint, which lives in the same store.
fn next(db: &Database, consumer: &str) -> Option<(u64, Row)> {
    let position: u64 = db
        .cell(CHECKPOINTS, consumer, "position")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    db.row(EVENTS, &crate::storage::seq_key(position + 1))
        .map(|r| (position + 1, r))
}

impl EventSourcing {
    fn customer_service(&self, env: &mut Env) -> Step<bool> {
        let db = env.load(STORE)?;
        let Some((seq, e)) = next(&db, CUSTOMER_SERVICE) else {
            return Ok(false);
        };
        let mut commit = Commit::new();
        let mut said = None;
        if text(&e, "event_type") == "OrderCreated" {
            let order = text(&e, "entity_id").to_string();
            let amount = data(&e)["total"].as_u64().unwrap_or(0);
            let c = customer(&db);
            let held: u64 = c.held.iter().map(|(_, a)| a).sum();
            let reply = if held + amount <= c.limit {
                "CreditReserved"
            } else {
                "CreditLimitExceeded"
            };
            commit = append(
                &db,
                "Customer",
                CUSTOMER,
                reply,
                json!({"order": order, "amount": amount}),
            );
            said = Some((order, reply));
        }
        commit = commit.put(CHECKPOINTS, CUSTOMER_SERVICE, checkpoint_row(seq));
        env.commit(STORE, commit)?;
        if let Some((order, reply)) = said {
            env.say(format!("The Customer service folds customer {CUSTOMER}'s events and appends {reply} for {order}."));
            env.point(CrashPoint::InConsumer, || {
                format!("the Customer service crashed right after appending {reply} for {order}")
            })?;
        }
        Ok(true)
    }

    fn order_service(&self, env: &mut Env) -> Step<bool> {
        let db = env.load(STORE)?;
        let Some((seq, e)) = next(&db, ORDER_SERVICE) else {
            return Ok(false);
        };
        let mut commit = Commit::new();
        let mut said = None;
        let answer = match text(&e, "event_type") {
            "CreditReserved" => Some("OrderApproved"),
            "CreditLimitExceeded" => Some("OrderCancelled"),
            _ => None,
        };
        if let Some(answer) = answer {
            let id = data(&e)["order"].as_str().unwrap_or_default().to_string();
            if order(&db, &id).is_some_and(|o| o.state == "NEW") {
                commit = append(&db, "Order", &id, answer, json!({}));
                said = Some((id, answer));
            }
        }
        commit = commit.put(CHECKPOINTS, ORDER_SERVICE, checkpoint_row(seq));
        env.commit(STORE, commit)?;
        if let Some((id, answer)) = said {
            env.say(format!("The Order service appends {answer} for {id}."));
            env.point(CrashPoint::InConsumer, || {
                format!("the Order service crashed right after appending {answer} for {id}")
            })?;
        }
        Ok(true)
    }
}

impl Service for EventSourcing {
    fn databases(&self) -> &'static [&'static str] {
        &[STORE]
    }

    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()> {
        let db = env.load(STORE)?;
        env.commit(
            STORE,
            append(
                &db,
                "Customer",
                CUSTOMER,
                "CustomerCreated",
                json!({"credit_limit": limit}),
            ),
        )?;
        Ok(())
    }

    fn place_order(&self, env: &mut Env, _: &Options, o: &NewOrder) -> Step<()> {
        let db = env.load(STORE)?;
        let id = &o.id;
        env.commit(
            STORE,
            append(
                &db,
                "Order",
                id,
                "OrderCreated",
                json!({"customer": CUSTOMER, "total": o.total}),
            ),
        )?;
        env.say(format!(
            "The Order service appends OrderCreated for {id}. Saving the event is the only write."
        ));
        env.point(CrashPoint::BetweenWriteAndPublish, || {
            format!("the Order service crashed right after appending OrderCreated for {id}; there is no separate publish")
        })
    }

    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool> {
        Ok(order(&*env.load(STORE)?, id).is_some())
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
        let db = env.load(STORE)?;
        let mut ids: Vec<String> = stream_ids(&db);
        ids.dedup();
        let told = db
            .table(EVENTS)
            .values()
            .filter_map(|e| {
                let d = data(e);
                let (order, state) = match text(e, "event_type") {
                    "OrderCreated" => (text(e, "entity_id").to_string(), "NEW"),
                    "OrderApproved" => (text(e, "entity_id").to_string(), "APPROVED"),
                    "OrderCancelled" => (text(e, "entity_id").to_string(), "CANCELLED"),
                    "CreditReserved" | "CreditLimitExceeded" => (
                        d["order"].as_str().unwrap_or_default().to_string(),
                        "CREDIT",
                    ),
                    _ => return None,
                };
                Some(Told {
                    order,
                    state: state.into(),
                })
            })
            .collect();
        Ok(World {
            orders: ids.iter().filter_map(|id| order(&db, id)).collect(),
            customers: vec![customer(&db)],
            publishes: true,
            told,
            ..World::default()
        })
    }
}

/// The ids of every Order aggregate, in the order they were created.
fn stream_ids(db: &Database) -> Vec<String> {
    db.table(EVENTS)
        .values()
        .filter(|e| text(e, "entity_type") == "Order" && text(e, "event_type") == "OrderCreated")
        .map(|e| text(e, "entity_id").to_string())
        .collect()
}
