//! The seven designs, the one story they all run, and [`run`], which plays the story under a design
//! with a crash, lets every consumer catch up, and hands the result to the checker.

mod common;
mod event_sourcing;
mod events_table;
mod log_tailing;
mod monolith;
mod one_aggregate;
mod publish_first;
mod services;

use crate::check::{check, Finding, World};
use crate::env::{Crash, Env, Halt, Seen, Step};
use crate::storage::{Database, Storage, StorageError};
use serde::{Deserialize, Serialize};

/// One of the seven designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Design {
    /// One ACID transaction over ORDERS and CUSTOMERS in one database.
    Monolith,
    /// The Customer aggregate holds its Orders.
    OneAggregate,
    /// Each service writes its table, then publishes to a broker.
    DualWrite,
    /// The service publishes; a consumer updates the table later (Part 2, Figure 1).
    PublishFirst,
    /// A tailer publishes the database's transaction log (Part 2, Figure 2).
    LogTailing,
    /// An EVENTS table written in the same transaction, polled and published (Part 2, Figure 3).
    EventsTable,
    /// The events are the state.
    EventSourcing,
}

impl Design {
    /// All seven, in the order the lab teaches them.
    pub const ALL: [Design; 7] = [
        Design::Monolith,
        Design::OneAggregate,
        Design::DualWrite,
        Design::PublishFirst,
        Design::LogTailing,
        Design::EventsTable,
        Design::EventSourcing,
    ];

    /// Its name in the lab.
    pub fn name(self) -> &'static str {
        match self {
            Design::Monolith => "Monolith",
            Design::OneAggregate => "One bigger aggregate",
            Design::DualWrite => "Services with a dual write",
            Design::PublishFirst => "Publish first",
            Design::LogTailing => "Transaction-log tailing",
            Design::EventsTable => "EVENTS table in the same transaction",
            Design::EventSourcing => "Event sourcing",
        }
    }

    /// A stable name for storage keys and addresses.
    pub fn slug(self) -> &'static str {
        match self {
            Design::Monolith => "monolith",
            Design::OneAggregate => "one-aggregate",
            Design::DualWrite => "dual-write",
            Design::PublishFirst => "publish-first",
            Design::LogTailing => "log-tailing",
            Design::EventsTable => "events-table",
            Design::EventSourcing => "event-sourcing",
        }
    }

    /// The design named by `slug`.
    pub fn from_slug(slug: &str) -> Option<Design> {
        Design::ALL.into_iter().find(|d| d.slug() == slug)
    }

    /// The databases the design keeps, in the order the lab shows them.
    pub fn databases(self) -> &'static [&'static str] {
        service(self).databases()
    }
}

/// A new order: its id and total (all orders in the story are customer c-1's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Its id.
    pub id: String,
    /// Its total, in dollars.
    pub total: u64,
}

/// One step of a story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoryStep {
    /// Place these orders; two or more are placed at once (by different people).
    Place(Vec<NewOrder>),
    /// Let consumers handle one message each, in this order (each number picks a consumer).
    Deliver(Vec<u32>),
}

/// The story: customer c-1 with a credit limit, then steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// c-1's credit limit, in dollars.
    pub limit: u64,
    /// The steps.
    pub steps: Vec<StoryStep>,
}

/// The customer every story is about.
pub const CUSTOMER: &str = "c-1";

impl Story {
    /// The lab's story: c-1 may owe $100; order o-1 for $60; then o-2 for $30 and o-3 for $50
    /// placed at once. Without faults o-1 and o-2 are approved and o-3 is refused.
    pub fn lab() -> Story {
        let order = |id: &str, total| NewOrder {
            id: id.into(),
            total,
        };
        Story {
            limit: 100,
            steps: vec![
                StoryStep::Place(vec![order("o-1", 60)]),
                StoryStep::Place(vec![order("o-2", 30), order("o-3", 50)]),
            ],
        }
    }
}

/// The switches a run can turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// The crash, if any.
    pub crash: Option<Crash>,
    /// Services with a dual write: the Order service publishes OrderCreated before it writes ORDERS.
    pub publish_before_write: bool,
    /// EVENTS table: the code path that approves an order forgets to insert its event.
    pub forget_event: bool,
}

/// What a run left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The design.
    pub design: Design,
    /// What the run saw (narration, crash, reads, conflicts).
    pub seen: Seen,
    /// What storage holds.
    pub world: World,
    /// What the checker found broken.
    pub findings: Vec<Finding>,
}

/// The code of one design. Every method reads and writes storage through `env`; none keeps state
/// in memory between calls, so a crash loses exactly what was not committed.
pub(crate) trait Service {
    /// The databases, in the order the lab shows them.
    fn databases(&self) -> &'static [&'static str];
    /// Stores customer c-1 (before the story; no crash point).
    fn create_customer(&self, env: &mut Env, limit: u64) -> Step<()>;
    /// Places one order.
    fn place_order(&self, env: &mut Env, opts: &Options, order: &NewOrder) -> Step<()>;
    /// Places several orders at once. Most designs place them one after the other.
    fn place_at_once(
        &self,
        env: &mut Env,
        opts: &Options,
        orders: &[NewOrder],
    ) -> Vec<(String, Step<()>)> {
        orders
            .iter()
            .map(|o| (o.id.clone(), self.place_order(env, opts, o)))
            .collect()
    }
    /// Whether a read of the order finds it (what the user's screen would ask right after).
    fn read_order(&self, env: &mut Env, id: &str) -> Step<bool>;
    /// How many consumers (pollers, tailers, subscribers) the design runs.
    fn consumers(&self) -> u32;
    /// Lets consumer `index` handle its next message; `false` when it had none.
    fn deliver(&self, env: &mut Env, opts: &Options, index: u32) -> Step<bool>;
    /// What storage holds, for the checker.
    fn world(&self, env: &mut Env) -> Result<World, StorageError>;
}

pub(crate) fn service(design: Design) -> &'static dyn Service {
    match design {
        Design::Monolith => &monolith::Monolith,
        Design::OneAggregate => &one_aggregate::OneAggregate,
        Design::DualWrite => &services::DualWrite,
        Design::PublishFirst => &publish_first::PublishFirst,
        Design::LogTailing => &log_tailing::LogTailing,
        Design::EventsTable => &events_table::EventsTable,
        Design::EventSourcing => &event_sourcing::EventSourcing,
    }
}

/// The most deliveries a run makes before it stops waiting (no design needs nearly this many).
const MAX_DELIVERIES: u32 = 500;

/// Plays `story` under `design` in `storage`, starting from empty databases: customer c-1 first,
/// then the steps (a crash stops only the operation it hits; the service restarts), then every
/// consumer catches up. Storage errors end the run.
pub fn run(
    storage: &mut dyn Storage,
    design: Design,
    story: &Story,
    opts: &Options,
) -> Result<Outcome, StorageError> {
    let svc = service(design);
    let mut env = Env::new(storage, design.slug(), opts.crash);
    for db in svc.databases() {
        env.clear(db)?;
    }
    settle(svc.create_customer(&mut env, story.limit))?;
    env.say(format!(
        "Customer {CUSTOMER} exists, with a credit limit of ${}.",
        story.limit
    ));
    for step in &story.steps {
        match step {
            StoryStep::Place(orders) => {
                let results = if orders.len() == 1 {
                    vec![(
                        orders[0].id.clone(),
                        svc.place_order(&mut env, opts, &orders[0]),
                    )]
                } else {
                    svc.place_at_once(&mut env, opts, orders)
                };
                for (id, result) in results {
                    if settle(result)?.is_some()
                        && !settle(svc.read_order(&mut env, &id))?.unwrap_or(true)
                    {
                        env.seen.stale_reads.push(id.clone());
                        env.say(format!(
                            "A read right after placing {id} does not find it yet."
                        ));
                    }
                }
            }
            StoryStep::Deliver(picks) => {
                for pick in picks {
                    let index = pick % svc.consumers().max(1);
                    settle(svc.deliver(&mut env, opts, index))?;
                }
            }
        }
    }
    catch_up(svc, &mut env, opts)?;
    let world = svc.world(&mut env)?;
    let findings = check(&world, &env.seen);
    Ok(Outcome {
        design,
        seen: env.seen,
        world,
        findings,
    })
}

/// A crash is part of the story (`Ok(None)`); a storage error ends it.
fn settle<T>(step: Step<T>) -> Result<Option<T>, StorageError> {
    match step {
        Ok(v) => Ok(Some(v)),
        Err(Halt::Crashed) => Ok(None),
        Err(Halt::Storage(e)) => Err(e),
    }
}

/// Every consumer in turn handles one message, until a whole round moves nothing.
fn catch_up(svc: &dyn Service, env: &mut Env, opts: &Options) -> Result<(), StorageError> {
    let mut made = 0;
    loop {
        let mut moved = false;
        for i in 0..svc.consumers() {
            // A crash stops this delivery; the consumer starts again from its checkpoint.
            moved |= settle(svc.deliver(env, opts, i))?.unwrap_or(true);
            made += 1;
        }
        if !moved || made > MAX_DELIVERIES {
            return Ok(());
        }
    }
}

/// The design's databases as storage holds them now, by name (for the lab to show).
pub fn databases(
    storage: &dyn Storage,
    design: Design,
) -> Vec<(String, Result<Database, StorageError>)> {
    design
        .databases()
        .iter()
        .map(|db| {
            (
                db.to_string(),
                storage
                    .load(&format!("{}/{db}", design.slug()))
                    .map(std::rc::Rc::unwrap_or_clone),
            )
        })
        .collect()
}
