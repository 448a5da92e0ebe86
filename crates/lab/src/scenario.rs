//! Scenarios as data: a JSON file names a run of the lab (commands, deliveries, faults) and what it
//! must come to. [`Scenario::parse`] reads one with errors that say what is wrong and where, and
//! [`play`] runs it on the memory store — empty, or holding events stored by an older Foldlab —
//! checking the simulator's invariants after every step and the scenario's expectations at the end. The format is documented in `scenarios/README.md`; the
//! `scenario` binary plays a file and prints the log and views as JSON.

use crate::sim::{
    check_always, check_quiescent, Harness, SnapshotPolicy, Step, StepResult, CLOCK_START_MS,
};
use foldlab_domain::{
    CustomerId, CustomerState, CustomerViews, EventEnvelope, LineItem, NewEvent, OrderId,
    OrderStatus, WriteModel,
};
use foldlab_engine::{LoadReport, OutcomeKind, Subscriber};
use foldlab_store::integrity::{check_shape, ShapeBreak};
use foldlab_store::{EventStore, ExpectedVersion, StreamId};
use futures::executor::block_on;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A named run of the lab and what it must come to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name.
    pub name: String,
    /// What it shows, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// How to run it.
    #[serde(default)]
    pub settings: Settings,
    /// What happens, in order.
    pub steps: Vec<Step>,
    /// What must be true at the end.
    #[serde(default)]
    pub expect: Expect,
}

/// How a scenario runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The clock's first value, in milliseconds since the Unix epoch; it ticks once per append.
    #[serde(default = "clock_start")]
    pub clock_start_ms: i64,
    /// Whether the simulator's invariants are checked after every step (and at the end when
    /// nothing is pending).
    #[serde(default = "yes")]
    pub check_invariants: bool,
    /// The snapshot policy: `{"Customer": N, "Order": M}` keeps a snapshot every N (M) events of
    /// that type; a type left out, or the field, keeps none.
    #[serde(default, skip_serializing_if = "SnapshotPolicy::is_off")]
    pub snapshot_every: SnapshotPolicy,
    /// Events already in the store before the first step, as stored envelopes (the shape of
    /// `crates/domain/tests/fixtures/v1_events.json`), with any schema version: a log written by
    /// an older Foldlab. Their ids must run 1, 2, … and each stream's versions 1, 2, …; no
    /// subscriber has handled them yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seed_events: Vec<EventEnvelope>,
}

fn clock_start() -> i64 {
    CLOCK_START_MS
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clock_start_ms: clock_start(),
            check_invariants: true,
            snapshot_every: SnapshotPolicy::default(),
            seed_events: Vec::new(),
        }
    }
}

/// What must be true when the steps are done. Every field is optional; only what is given is
/// checked, except `errors`: when it is left out, no step may fail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Each order's status on the command side: `NEW`, `APPROVED`, `CANCELLED` or `SHIPPED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<BTreeMap<String, OrderStatus>>,
    /// Each order's total in cents on the command side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_totals: Option<BTreeMap<String, i64>>,
    /// Each order's line items on the command side, as OrderCreated stores them:
    /// `[{"product_id": "pen", "quantity": 2, "unit_price_cents": 150}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_lines: Option<BTreeMap<String, Vec<LineItem>>>,
    /// How loading each customer goes at the end (with the scenario's snapshot policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_loads: Option<BTreeMap<String, ExpectLoad>>,
    /// How loading each order goes at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_loads: Option<BTreeMap<String, ExpectLoad>>,
    /// Where each named projection stands at the end: its checkpoint, how far behind the head it
    /// is, whether it is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projections: Option<BTreeMap<String, ExpectProjection>>,
    /// The customers the low-credit-limit projection lists, lowest limit first (it moves only when
    /// a projection step moves it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_credit_customers: Option<Vec<String>>,
    /// The type of every stored event, in log order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// Each customer's available credit in cents on the command side (the aggregate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_credit: Option<BTreeMap<String, i64>>,
    /// Each customer's available credit in cents as the customer view shows it (it may lag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_available_credit: Option<BTreeMap<String, i64>>,
    /// How many deliveries ended in each outcome (outcomes not named are not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<BTreeMap<String, usize>>,
    /// The failures of steps, in order, each matched by a part of its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    /// How many deliveries are still waiting at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<usize>,
}

/// What a projection must have come to; only what is given is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectProjection {
    /// Its checkpoint: the highest `event_id` applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// How many events it is behind the head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_behind: Option<u64>,
    /// Whether it is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
}

/// Where a projection stands at the end of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProjectionState {
    /// Its checkpoint.
    pub position: u64,
    /// How far behind the head it is.
    pub events_behind: u64,
    /// Whether it is paused.
    pub paused: bool,
}

/// What loading an aggregate must report; only what is given is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectLoad {
    /// The version the loaded state reflects (the stream's last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// The version of the snapshot the fold started from; 0 for none (from the first event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_version: Option<u64>,
    /// How many events were folded on top of the snapshot (or of nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_folded: Option<usize>,
}

/// What loading an aggregate did, as the scenario runner shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Load {
    /// The version the loaded state reflects.
    pub version: u64,
    /// The version of the snapshot the fold started from; 0 for none.
    pub snapshot_version: u64,
    /// How many events were folded on top of it.
    pub events_folded: usize,
}

impl From<&LoadReport> for Load {
    fn from(report: &LoadReport) -> Self {
        Load {
            version: report.version,
            snapshot_version: report.snapshot_version.unwrap_or(0),
            events_folded: report.events_folded,
        }
    }
}

/// Why a scenario file cannot be played.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// The text is not JSON of the scenario's shape.
    Malformed {
        /// What the JSON reader said.
        message: String,
        /// Where (1-based).
        line: usize,
        /// Where (1-based).
        column: usize,
    },
    /// The JSON has the right shape but asks for something impossible.
    Invalid(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Malformed {
                message,
                line,
                column,
            } => write!(
                f,
                "the scenario is malformed at line {line}, column {column}: {message}"
            ),
            ScenarioError::Invalid(problem) => write!(f, "the scenario is invalid: {problem}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads a scenario from JSON text, refusing anything malformed with the reason and position.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario =
            serde_json::from_str(text).map_err(|e| ScenarioError::Malformed {
                message: crate::json::message_without_position(&e),
                line: e.line(),
                column: e.column(),
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        if self.name.trim().is_empty() {
            return Err(ScenarioError::Invalid("`name` is empty".to_string()));
        }
        if self.steps.is_empty() {
            return Err(ScenarioError::Invalid(
                "`steps` is empty: a scenario needs at least one step".to_string(),
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if let Some(problem) = step.problem() {
                return Err(ScenarioError::Invalid(format!("step {}: {problem}", i + 1)));
            }
        }
        seed_problem(&self.settings.seed_events).map_err(ScenarioError::Invalid)?;
        if let Some(outcomes) = &self.expect.outcomes {
            if let Some(unknown) = outcomes
                .keys()
                .find(|k| OutcomeKind::from_name(k).is_none())
            {
                let names: Vec<&str> = OutcomeKind::ALL.iter().map(|k| k.name()).collect();
                return Err(ScenarioError::Invalid(format!(
                    "expect.outcomes: unknown outcome `{unknown}`, expected one of {}",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Why `seed_events` cannot be stored as given: ids must run 1, 2, … and each stream's versions
/// 1, 2, …, as the store would have numbered them.
fn seed_problem(events: &[EventEnvelope]) -> Result<(), String> {
    check_shape(events).map_err(|broken| match broken {
        ShapeBreak::Id { index, found } => format!(
            "settings.seed_events[{index}] has event_id {found}, expected {}: ids run 1, 2, …",
            index + 1
        ),
        ShapeBreak::Version {
            index,
            stream,
            found,
            expected,
        } => format!(
            "settings.seed_events[{index}] is version {found} of {stream}, expected {expected}"
        ),
    })
}

/// One step as played.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlayedStep {
    /// The step as written.
    pub step: Step,
    /// What it did.
    pub result: StepResult,
}

/// What playing a scenario came to: whether it passed, and the state it left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Played {
    /// The scenario's name.
    pub scenario: String,
    /// True when no invariant broke and every expectation held.
    pub passed: bool,
    /// What went wrong, in plain words.
    pub failures: Vec<String>,
    /// The steps played (up to the one that broke an invariant, if one did).
    pub steps: Vec<PlayedStep>,
    /// The event log.
    pub events: Vec<EventEnvelope>,
    /// Every customer as the command side folds it.
    pub customers: BTreeMap<CustomerId, CustomerState>,
    /// Every order's status on the command side.
    pub orders: BTreeMap<OrderId, Option<OrderStatus>>,
    /// The customer view as the query side holds it.
    pub customer_view: CustomerViews,
    /// Each subscriber's checkpoint.
    pub checkpoints: BTreeMap<String, u64>,
    /// Deliveries still waiting.
    pub pending: usize,
    /// Every query-side projection: checkpoint, lag and whether it is paused.
    pub projections: BTreeMap<String, ProjectionState>,
    /// The customers the low-credit-limit projection lists (as far as it has applied events).
    pub low_credit_customers: Vec<String>,
    /// How loading each aggregate named in `expect.customer_loads` or `expect.order_loads` went,
    /// keyed `"Customer c1"`, `"Order o1"`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub loads: BTreeMap<String, Load>,
}

/// Plays a scenario on a fresh memory store and checks its expectations.
pub fn play(scenario: &Scenario) -> Played {
    block_on(play_async(scenario))
}

async fn play_async(scenario: &Scenario) -> Played {
    let harness = Harness::with_snapshots(
        scenario.settings.clock_start_ms,
        scenario.settings.snapshot_every,
    );
    let checked = scenario.settings.check_invariants;
    let mut failures = Vec::new();
    let mut steps = Vec::new();
    if let Err(error) = seed(&harness, &scenario.settings.seed_events).await {
        failures.push(error);
    } else if checked && !scenario.settings.seed_events.is_empty() {
        if let Err(violation) = check_always(&harness).await {
            failures.push(format!("after storing seed_events: {violation}"));
        }
    }
    let steps_to_play = if failures.is_empty() {
        scenario.steps.as_slice()
    } else {
        &[]
    };
    for (i, step) in steps_to_play.iter().enumerate() {
        let result = match harness.apply(step).await {
            Ok(result) => result,
            Err(violation) => {
                failures.push(format!("step {}: {violation}", i + 1));
                break;
            }
        };
        steps.push(PlayedStep {
            step: step.clone(),
            result,
        });
        if checked {
            if let Err(violation) = check_always(&harness).await {
                failures.push(format!("after step {}: {violation}", i + 1));
                break;
            }
        }
    }
    let (mut state, error) = State::read(&harness).await;
    failures.extend(error);
    match read_loads(&harness, &scenario.expect).await {
        Ok(loads) => state.loads = loads,
        Err(error) => failures.push(error),
    }
    if failures.is_empty() {
        if checked && state.pending == 0 {
            if let Err(violation) = check_quiescent(&harness).await {
                failures.push(format!("at the end: {violation}"));
            }
        }
        failures.extend(unmet(&scenario.expect, &steps, &state));
    }
    Played {
        scenario: scenario.name.clone(),
        passed: failures.is_empty(),
        failures,
        steps,
        events: state.events,
        customers: state.model.customers,
        orders: state
            .model
            .orders
            .iter()
            .map(|(id, o)| (id.clone(), o.order().map(|o| o.status)))
            .collect(),
        customer_view: state.view,
        checkpoints: state.checkpoints,
        pending: state.pending,
        projections: state.projections,
        low_credit_customers: state.low_credit_customers,
        loads: state.loads,
    }
}

/// Stores `events` as they are, each with the version it names, so that ids and versions come out
/// as written.
pub(crate) async fn seed(harness: &Harness, events: &[EventEnvelope]) -> Result<(), String> {
    let store = harness.engine().store();
    for event in events {
        let stream = StreamId::new(&event.entity_type, &event.entity_id);
        let expected = ExpectedVersion::after(event.version.saturating_sub(1));
        let new = NewEvent {
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            event_data: event.event_data.clone(),
            recorded_at: event.recorded_at,
            metadata: event.metadata.clone(),
        };
        store
            .append(&stream, expected, vec![new])
            .await
            .map_err(|e| format!("seed event #{} cannot be stored: {e}", event.event_id))?;
    }
    Ok(())
}

/// Loads every aggregate an expectation names, the way commands load them.
async fn read_loads(harness: &Harness, expect: &Expect) -> Result<BTreeMap<String, Load>, String> {
    let engine = harness.engine();
    let mut loads = BTreeMap::new();
    for id in expect.customer_loads.iter().flat_map(BTreeMap::keys) {
        let (_, report) = engine
            .load_customer_with_report(&CustomerId::new(id))
            .await
            .map_err(|e| format!("customer {id} cannot be loaded: {e}"))?;
        loads.insert(format!("Customer {id}"), Load::from(&report));
    }
    for id in expect.order_loads.iter().flat_map(BTreeMap::keys) {
        let (_, report) = engine
            .load_order_with_report(&OrderId::new(id))
            .await
            .map_err(|e| format!("order {id} cannot be loaded: {e}"))?;
        loads.insert(format!("Order {id}"), Load::from(&report));
    }
    Ok(loads)
}

/// The lab's state at the end of a scenario.
#[derive(Default)]
struct State {
    events: Vec<EventEnvelope>,
    model: WriteModel,
    view: CustomerViews,
    checkpoints: BTreeMap<String, u64>,
    pending: usize,
    projections: BTreeMap<String, ProjectionState>,
    low_credit_customers: Vec<String>,
    loads: BTreeMap<String, Load>,
}

impl State {
    async fn read(harness: &Harness) -> (State, Option<String>) {
        let engine = harness.engine();
        let read = async {
            let events = harness.log().await.map_err(|v| v.to_string())?;
            let view = engine.customer_view().await.map_err(|e| e.to_string())?;
            let positions = engine.positions().await.map_err(|e| e.to_string())?;
            let pending = engine.pending().await.map_err(|e| e.to_string())?;
            let query = engine.query_side();
            let mut projections = BTreeMap::new();
            for status in query
                .statuses(engine.store())
                .await
                .map_err(|e| e.to_string())?
            {
                projections.insert(
                    status.name.to_string(),
                    ProjectionState {
                        position: status.lag.position,
                        events_behind: status.lag.events_behind,
                        paused: status.paused,
                    },
                );
            }
            let low_credit = query
                .low_credit_limit
                .state(engine.store())
                .await
                .map_err(|e| e.to_string())?;
            let low_credit_customers = low_credit
                .customers()
                .iter()
                .map(|line| line.customer_id.to_string())
                .collect();
            Ok::<_, String>(State {
                projections,
                low_credit_customers,
                model: WriteModel::from_log(&events),
                events,
                view,
                checkpoints: positions
                    .into_iter()
                    .map(|(s, p): (Subscriber, u64)| (s.name().to_string(), p))
                    .collect(),
                pending,
                loads: BTreeMap::new(),
            })
        };
        match read.await {
            Ok(state) => (state, None),
            Err(error) => (
                State::default(),
                Some(format!("the final state cannot be read: {error}")),
            ),
        }
    }
}

/// Every expectation that does not hold, in words.
fn unmet(expect: &Expect, steps: &[PlayedStep], state: &State) -> Vec<String> {
    let mut unmet = Vec::new();
    if let Some(orders) = &expect.orders {
        for (id, want) in orders {
            let got = state
                .model
                .orders
                .get(&OrderId::new(id))
                .and_then(|o| o.order())
                .map(|o| o.status);
            if got != Some(*want) {
                unmet.push(format!(
                    "order {id}: expected {want}, found {}",
                    got.map_or("no such order".to_string(), |s| s.to_string())
                ));
            }
        }
    }
    let order = |id: &String| {
        state
            .model
            .orders
            .get(&OrderId::new(id))
            .and_then(|o| o.order())
    };
    if let Some(totals) = &expect.order_totals {
        for (id, want) in totals {
            let got = order(id).map(|o| o.total.cents());
            if got != Some(*want) {
                unmet.push(format!(
                    "order {id}'s total: expected {want} cents, found {}",
                    got.map_or("no such order".to_string(), |c| format!("{c} cents"))
                ));
            }
        }
    }
    if let Some(lines) = &expect.order_lines {
        for (id, want) in lines {
            let got = order(id).map(|o| &o.line_items);
            if got != Some(want) {
                // As JSON, the way the scenario wrote them.
                let json = |lines: &Vec<LineItem>| {
                    serde_json::to_string(lines).unwrap_or_else(|e| format!("<{e}>"))
                };
                unmet.push(format!(
                    "order {id}'s line items: expected {}, found {}",
                    json(want),
                    got.map_or("no such order".to_string(), json)
                ));
            }
        }
    }
    for (kind, wanted) in [
        ("Customer", &expect.customer_loads),
        ("Order", &expect.order_loads),
    ] {
        for (id, want) in wanted.iter().flatten() {
            let Some(got) = state.loads.get(&format!("{kind} {id}")) else {
                continue;
            };
            let checks = [
                ("version", want.version, got.version),
                (
                    "snapshot_version",
                    want.snapshot_version,
                    got.snapshot_version,
                ),
                (
                    "events_folded",
                    want.events_folded.map(|n| n as u64),
                    got.events_folded as u64,
                ),
            ];
            for (field, want, got) in checks {
                if want.is_some_and(|want| want != got) {
                    unmet.push(format!(
                        "loading {kind} {id}: expected {field} {}, found {got}",
                        want.unwrap_or_default()
                    ));
                }
            }
        }
    }
    if let Some(types) = &expect.event_types {
        let got: Vec<&str> = state.events.iter().map(|e| e.event_type.as_str()).collect();
        if got != types.iter().map(String::as_str).collect::<Vec<_>>() {
            unmet.push(format!("event types: expected {types:?}, found {got:?}"));
        }
    }
    if let Some(credit) = &expect.available_credit {
        for (id, want) in credit {
            let got = state
                .model
                .customers
                .get(&CustomerId::new(id))
                .and_then(|c| c.customer())
                .map(|c| c.available_credit().cents());
            if got != Some(*want) {
                unmet.push(format!(
                    "customer {id}'s available credit: expected {want} cents, found {}",
                    got.map_or("no such customer".to_string(), |c| format!("{c} cents"))
                ));
            }
        }
    }
    if let Some(credit) = &expect.view_available_credit {
        for (id, want) in credit {
            let got = state
                .view
                .customers
                .get(&CustomerId::new(id))
                .map(|c| c.available_credit.cents());
            if got != Some(*want) {
                unmet.push(format!(
                    "customer {id}'s available credit in the view: expected {want} cents, found {}",
                    got.map_or("no such customer".to_string(), |c| format!("{c} cents"))
                ));
            }
        }
    }
    if let Some(outcomes) = &expect.outcomes {
        let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
        for played in steps {
            for delivery in played.result.deliveries() {
                *counted.entry(delivery.outcome.name()).or_default() += 1;
            }
        }
        for (outcome, want) in outcomes {
            let got = counted.get(outcome.as_str()).copied().unwrap_or(0);
            if got != *want {
                unmet.push(format!(
                    "deliveries with outcome {outcome}: expected {want}, found {got}"
                ));
            }
        }
    }
    let errors: Vec<&str> = steps.iter().flat_map(|s| s.result.errors()).collect();
    let wanted = expect.errors.clone().unwrap_or_default();
    let matched = errors.len() == wanted.len()
        && errors
            .iter()
            .zip(&wanted)
            .all(|(got, want)| got.contains(want.as_str()));
    if !matched {
        unmet.push(format!(
            "failed steps: expected {wanted:?}, found {errors:?}"
        ));
    }
    if let Some(projections) = &expect.projections {
        for (name, want) in projections {
            let Some(got) = state.projections.get(name) else {
                unmet.push(format!("projection {name}: there is no such projection"));
                continue;
            };
            let checks = [
                ("position", want.position, got.position),
                ("events behind", want.events_behind, got.events_behind),
            ];
            for (what, want, got) in checks {
                if let Some(want) = want {
                    if want != got {
                        unmet.push(format!(
                            "projection {name}: {what}: expected {want}, found {got}"
                        ));
                    }
                }
            }
            if let Some(paused) = want.paused {
                if paused != got.paused {
                    unmet.push(format!(
                        "projection {name}: paused: expected {paused}, found {}",
                        got.paused
                    ));
                }
            }
        }
    }
    if let Some(want) = &expect.low_credit_customers {
        if *want != state.low_credit_customers {
            unmet.push(format!(
                "low-credit-limit customers: expected {want:?}, found {:?}",
                state.low_credit_customers
            ));
        }
    }
    if let Some(pending) = expect.pending {
        if state.pending != pending {
            unmet.push(format!(
                "pending deliveries: expected {pending}, found {}",
                state.pending
            ));
        }
    }
    unmet
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
