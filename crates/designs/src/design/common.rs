//! What the service designs share: the broker, consumers reading after a checkpoint, the Customer
//! service's credit rule over CUSTOMERS and RESERVATIONS, and reading the world back from rows.

use super::CUSTOMER;
use crate::check::{CustomerFact, OrderFact, Told, World};
use crate::env::{Env, Step};
use crate::storage::{row, seq_key, Commit, Database, Row, StorageError, CHECKPOINTS};

/// The broker's database: a separate write from any service's commit, which is the whole point.
pub const BROKER: &str = "broker";
/// The broker's topic, in order.
pub const MESSAGES: &str = "MESSAGES";
/// The Order service's database.
pub const ORDERS_DB: &str = "orders-db";
/// The Customer service's database.
pub const CUSTOMERS_DB: &str = "customers-db";
/// Orders: customer, total, state.
pub const ORDERS: &str = "ORDERS";
/// Customers: credit_limit, credit_reserved, version.
pub const CUSTOMERS: &str = "CUSTOMERS";
/// Credit reservations, by order: customer, amount, state (RESERVED or REFUSED).
pub const RESERVATIONS: &str = "RESERVATIONS";
/// An EVENTS table.
pub const EVENTS: &str = "EVENTS";

/// A business event as a row: its type, the order, the customer and the amount.
pub fn event(kind: &str, order: &str, amount: u64) -> Row {
    row([
        ("type", kind.to_string()),
        ("order", order.to_string()),
        ("customer", CUSTOMER.to_string()),
        ("amount", amount.to_string()),
    ])
}

/// A column as a number (0 when missing).
pub fn num(r: &Row, column: &str) -> u64 {
    r.get(column).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// A column as text ("" when missing).
pub fn text<'r>(r: &'r Row, column: &str) -> &'r str {
    r.get(column).map_or("", String::as_str)
}

/// A consumer's checkpoint row: the sequence number of the last message it handled.
pub fn checkpoint_row(seq: u64) -> Row {
    row([("position", seq.to_string())])
}

/// The next message after `consumer`'s checkpoint (kept in `checkpoint_db`) in `source`'s `table`.
pub fn next(
    env: &Env,
    source: &str,
    table: &str,
    checkpoint_db: &str,
    consumer: &str,
) -> Result<Option<(u64, Row)>, StorageError> {
    let position = env
        .load(checkpoint_db)?
        .cell(CHECKPOINTS, consumer, "position")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0u64);
    Ok(env
        .load(source)?
        .row(table, &seq_key(position + 1))
        .map(|r| (position + 1, r)))
}

/// Publishes rows to the broker in one write, with the publishing consumer's checkpoint when it has
/// one (a broker keeps its consumers' positions, as Kafka keeps offsets).
pub fn publish(env: &mut Env, rows: Vec<Row>, checkpoint: Option<(&str, u64)>) -> Step<()> {
    let mut commit = Commit::new();
    for r in rows {
        commit = commit.append(MESSAGES, r);
    }
    if let Some((consumer, seq)) = checkpoint {
        commit = commit.put(CHECKPOINTS, consumer, checkpoint_row(seq));
    }
    env.commit(BROKER, commit)?;
    Ok(())
}

/// The Customer service's rule: reserve `amount` for `order` if c-1's credit allows it. Returns
/// the writes to CUSTOMERS and RESERVATIONS (nothing when the order was already decided) and
/// whether the credit is reserved.
pub fn decide_credit(db: &Database, order: &str, amount: u64) -> (Commit, bool) {
    if let Some(done) = db.row(RESERVATIONS, order) {
        return (Commit::new(), text(&done, "state") == "RESERVED");
    }
    let customer = db.row(CUSTOMERS, CUSTOMER).unwrap_or_default();
    let limit = num(&customer, "credit_limit");
    let reserved = num(&customer, "credit_reserved");
    let ok = reserved + amount <= limit;
    let mut commit = Commit::new().put(
        RESERVATIONS,
        order,
        row([
            ("customer", CUSTOMER.to_string()),
            ("amount", amount.to_string()),
            ("state", if ok { "RESERVED" } else { "REFUSED" }.to_string()),
        ]),
    );
    if ok {
        let mut updated = customer.clone();
        updated.insert("credit_reserved".into(), (reserved + amount).to_string());
        updated.insert(
            "version".into(),
            (num(&customer, "version") + 1).to_string(),
        );
        commit = commit.put(CUSTOMERS, CUSTOMER, updated);
    }
    (commit, ok)
}

/// The customer row a service design starts with.
pub fn customer_row(limit: u64) -> Row {
    row([
        ("credit_limit", limit.to_string()),
        ("credit_reserved", "0".to_string()),
        ("version", "1".to_string()),
    ])
}

/// A new order's row.
pub fn order_row(total: u64, state: &str) -> Row {
    row([
        ("customer", CUSTOMER.to_string()),
        ("total", total.to_string()),
        ("state", state.to_string()),
    ])
}

/// The orders in an ORDERS table.
pub fn orders_of(db: &Database) -> Vec<OrderFact> {
    db.table(ORDERS)
        .iter()
        .map(|(id, r)| OrderFact {
            id: id.clone(),
            customer: text(r, "customer").to_string(),
            total: num(r, "total"),
            state: text(r, "state").to_string(),
        })
        .collect()
}

/// c-1 as CUSTOMERS and RESERVATIONS hold it.
pub fn customer_of(db: &Database) -> Vec<CustomerFact> {
    let Some(c) = db.row(CUSTOMERS, CUSTOMER) else {
        return Vec::new();
    };
    let held = db
        .table(RESERVATIONS)
        .iter()
        .filter(|(_, r)| text(r, "state") == "RESERVED")
        .map(|(o, r)| (o.clone(), num(r, "amount")))
        .collect();
    vec![CustomerFact {
        id: CUSTOMER.into(),
        limit: num(&c, "credit_limit"),
        held,
    }]
}

/// What a business event tells about its order.
pub fn told_by(r: &Row) -> Option<Told> {
    let state = match text(r, "type") {
        "OrderCreated" => "NEW",
        "OrderApproved" => "APPROVED",
        "OrderCancelled" => "CANCELLED",
        "CreditReserved" | "CreditLimitExceeded" => "CREDIT",
        _ => return None,
    };
    Some(Told {
        order: text(r, "order").to_string(),
        state: state.into(),
    })
}

/// Everything the broker's messages told.
pub fn told_on_broker(env: &Env) -> Result<Vec<Told>, StorageError> {
    Ok(env
        .load(BROKER)?
        .table(MESSAGES)
        .values()
        .filter_map(told_by)
        .collect())
}

/// Stores customer c-1 in `database` through `commit` (a plain one, or one the log records).
pub fn put_customer(env: &mut Env, database: &str, commit: Commit, limit: u64) -> Step<()> {
    env.commit(
        database,
        commit.put(CUSTOMERS, CUSTOMER, customer_row(limit)),
    )?;
    Ok(())
}

/// Whether a read of ORDERS in `database` finds order `id`.
pub fn order_found(env: &mut Env, database: &str, id: &str) -> Step<bool> {
    Ok(env.load(database)?.row(ORDERS, id).is_some())
}

/// The world of a design with one database: its orders, and c-1 holding what its APPROVED orders
/// hold.
pub fn one_database_world(env: &mut Env, database: &str) -> Result<World, StorageError> {
    let db = env.load(database)?;
    let orders = orders_of(&db);
    let customer = db.row(CUSTOMERS, CUSTOMER).unwrap_or_default();
    let held = orders
        .iter()
        .filter(|o| o.state == "APPROVED")
        .map(|o| (o.id.clone(), o.total))
        .collect();
    Ok(World {
        customers: vec![CustomerFact {
            id: CUSTOMER.into(),
            limit: num(&customer, "credit_limit"),
            held,
        }],
        orders,
        one_database: Some(database.into()),
        ..World::default()
    })
}

/// The world of a design with a service per database and a broker: the orders, c-1, and what the
/// broker told of each order.
pub fn services_world(env: &mut Env) -> Result<World, StorageError> {
    Ok(World {
        orders: orders_of(&*env.load(ORDERS_DB)?),
        customers: customer_of(&*env.load(CUSTOMERS_DB)?),
        publishes: true,
        told: told_on_broker(env)?,
        ..World::default()
    })
}
