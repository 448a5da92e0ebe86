//! The steps a simulation or a scenario is made of: user commands, deliveries, and the faults an
//! at-least-once broker and a crashing process cause. They are plain data (JSON in scenario files),
//! so a run can be recorded, replayed, shrunk and printed.
//!
//! Every command the user can send is a step. To add another: add a variant here, carry it out in
//! [`crate::runner::Runner::step`], and teach the generator in `sim/generate.rs` to produce it.
//! Nothing else needs to know.

use foldlab_engine::Subscriber;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One thing that happens to the lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The user opens a customer account.
    CreateCustomer(CreateCustomer),
    /// The user places an order.
    PlaceOrder(PlaceOrder),
    /// The user cancels an order (NEW or APPROVED); the Customer service then releases its credit.
    CancelOrder(CancelOrder),
    /// The user ships an APPROVED order; its credit stays reserved (used).
    ShipOrder(ShipOrder),
    /// The user changes a customer's credit limit (never below what is reserved).
    ChangeCreditLimit(ChangeCreditLimit),
    /// The user deletes a customer; orders that ask it for credit afterwards are refused.
    DeleteCustomer(DeleteCustomer),
    /// Pending deliveries are made.
    Deliver(Deliver),
    /// An event the subscriber already handled is delivered to it once more (at-least-once).
    DeliverAgain(Redeliver),
    /// The subscriber's next delivery crashes it after its effect, before its checkpoint; it then
    /// restarts from the checkpoint it had.
    Crash(Crash),
    /// The steps run at the same time: every store operation lets the others run first, so reads
    /// and appends interleave. Only commands, deliveries to a named subscriber and crashes may
    /// race, each subscriber at most once (one subscriber is one worker, in order).
    Race(Vec<Step>),
    /// Steps done over and over, for a long history written in a few lines.
    Repeat(Repeat),
    /// A query-side projection is paused, resumed, stepped, caught up or rebuilt from position 0.
    /// One that has never run (a projection added later) catches up from the whole history.
    Projection(ProjectionStep),
}

/// `{"projection": {"name": "low-credit-limit", "action": "catch_up"}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionStep {
    /// The projection's name: `customer-view`, `order-history`, `low-credit-limit` or
    /// `new-customers-high-value-orders`.
    pub name: String,
    /// What its projector does.
    pub action: ProjectionAction,
}

impl ProjectionStep {
    /// Has the named projector do what the step asks; the reason in words if it cannot (no such
    /// projection, or the store failed).
    pub async fn apply<S: foldlab_store::EventStore>(
        &self,
        query: &foldlab_engine::query_side::QuerySide,
        store: &S,
    ) -> Result<(), String> {
        let Some(control) = query.control(&self.name) else {
            return Err(format!(
                "there is no projection named \u{201c}{}\u{201d}",
                self.name
            ));
        };
        let done = match self.action {
            ProjectionAction::Pause => {
                control.pause();
                Ok(())
            }
            ProjectionAction::Resume => {
                control.resume();
                Ok(())
            }
            ProjectionAction::Step => query.step(&self.name, store).await.map(|_| ()),
            ProjectionAction::CatchUp => query.catch_up(&self.name, store).await.map(|_| ()),
            ProjectionAction::Rebuild => query.rebuild(&self.name, store).await.map(|_| ()),
        };
        done.map_err(|error| error.to_string())
    }
}

/// What a projection step asks of a projector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionAction {
    /// Stop applying events: the view lags while the command side goes on.
    Pause,
    /// Apply events again.
    Resume,
    /// Apply the next event after its checkpoint.
    Step,
    /// Apply every event after its checkpoint.
    CatchUp,
    /// Drop the view and apply every event again from position 0.
    Rebuild,
}

/// `{"create_customer": {"id": "c1", "name": "Ada", "limit_cents": 10000}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// The customer's id.
    pub id: String,
    /// Display name; the id when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Credit limit in cents.
    pub limit_cents: i64,
}

/// `{"place_order": {"id": "o1", "customer": "c1", "total_cents": 4000}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// The order's id.
    pub id: String,
    /// The customer's id.
    pub customer: String,
    /// Order total in cents.
    pub total_cents: i64,
}

/// `{"cancel_order": {"id": "o1"}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrder {
    /// The order's id.
    pub id: String,
}

/// `{"ship_order": {"id": "o1"}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipOrder {
    /// The order's id.
    pub id: String,
}

/// `{"change_credit_limit": {"id": "c1", "limit_cents": 5000}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeCreditLimit {
    /// The customer's id.
    pub id: String,
    /// The new credit limit in cents.
    pub limit_cents: i64,
}

/// `{"delete_customer": {"id": "c1"}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCustomer {
    /// The customer's id.
    pub id: String,
}

/// `{"repeat": {"times": 20, "steps": [...]}}`: the steps, in order, `times` rounds over. In every
/// string of the steps, `{i}` becomes the round's number (1, 2, …), so that each round can place
/// orders of its own: `{"place_order": {"id": "o{i}", ...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// How many rounds, 1 to [`MAX_ROUNDS`].
    pub times: u32,
    /// What each round does.
    pub steps: Vec<Step>,
}

/// The most rounds a `repeat` step makes: enough for any history a scenario shows, few enough that
/// a typo (`100000`) is refused rather than run for minutes.
pub const MAX_ROUNDS: u32 = 1_000;

/// What `{i}` is replaced with in a round of a `repeat`.
const ROUND: &str = "{i}";

impl Repeat {
    /// The steps of round `round` (1-based), with `{i}` replaced by its number.
    ///
    /// The steps go through their JSON text rather than a `serde_json::Value`, so that the steps'
    /// large `Deserialize` is compiled for one deserializer only (the wasm is smaller). In JSON
    /// text `{i}` can only stand inside a string (a field name holds none, and no step has a map),
    /// so replacing it in the text replaces it in the steps' strings and nowhere else.
    pub fn round(&self, round: u32) -> Result<Vec<Step>, String> {
        let text = serde_json::to_string(&self.steps).map_err(|e| e.to_string())?;
        serde_json::from_str(&text.replace(ROUND, &round.to_string()))
            .map_err(|e| format!("round {round}: {e}"))
    }
}

/// Which deliveries a `deliver` step makes: `"all"`, a number of next deliveries (lowest `event_id`
/// first), or `{"subscriber": "order-service", "count": 2}` (that subscriber only; the others are
/// held back, so their deliveries arrive late).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deliver {
    /// Until nothing is pending.
    All,
    /// This many of the next deliveries.
    Next(u32),
    /// This many deliveries to one subscriber.
    To {
        /// Who receives them.
        subscriber: Subscriber,
        /// How many (1 when left out).
        count: u32,
    },
}

/// `{"deliver_again": {"subscriber": "customer-service", "event_id": 2}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redeliver {
    /// Who receives the event again.
    #[serde(with = "subscriber_name")]
    pub subscriber: Subscriber,
    /// Which event; it must be at or below the subscriber's checkpoint.
    pub event_id: u64,
}

/// `{"crash": {"subscriber": "customer-service"}}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// Who crashes during its next delivery.
    #[serde(with = "subscriber_name")]
    pub subscriber: Subscriber,
}

impl Step {
    /// Why this step cannot run, if it cannot: checked when a scenario is read, so a malformed
    /// file is refused before anything happens.
    pub fn problem(&self) -> Option<String> {
        match self {
            Step::CreateCustomer(c) if c.id.trim().is_empty() => {
                Some("create_customer needs a non-empty id".to_string())
            }
            Step::PlaceOrder(o) if o.id.trim().is_empty() => {
                Some("place_order needs a non-empty id".to_string())
            }
            Step::CancelOrder(o) if o.id.trim().is_empty() => {
                Some("cancel_order needs a non-empty id".to_string())
            }
            Step::ShipOrder(o) if o.id.trim().is_empty() => {
                Some("ship_order needs a non-empty id".to_string())
            }
            Step::ChangeCreditLimit(c) if c.id.trim().is_empty() => {
                Some("change_credit_limit needs a non-empty id".to_string())
            }
            Step::DeleteCustomer(c) if c.id.trim().is_empty() => {
                Some("delete_customer needs a non-empty id".to_string())
            }
            Step::DeliverAgain(r) if r.event_id == 0 => {
                Some("deliver_again: event ids start at 1".to_string())
            }
            Step::Projection(p) if p.name.trim().is_empty() => {
                Some("projection needs the name of a projection".to_string())
            }
            Step::Race(steps) => race_problem(steps),
            Step::Repeat(repeat) => repeat_problem(repeat),
            Step::CreateCustomer(_)
            | Step::PlaceOrder(_)
            | Step::CancelOrder(_)
            | Step::ShipOrder(_)
            | Step::ChangeCreditLimit(_)
            | Step::DeleteCustomer(_)
            | Step::Deliver(_)
            | Step::DeliverAgain(_)
            | Step::Crash(_)
            | Step::Projection(_) => None,
        }
    }

    /// The subscriber a racing step occupies, if any.
    pub(crate) fn worker(&self) -> Option<Subscriber> {
        match self {
            Step::Deliver(Deliver::To { subscriber, .. }) => Some(*subscriber),
            Step::Crash(crash) => Some(crash.subscriber),
            Step::DeliverAgain(redeliver) => Some(redeliver.subscriber),
            Step::CreateCustomer(_)
            | Step::PlaceOrder(_)
            | Step::CancelOrder(_)
            | Step::ShipOrder(_)
            | Step::ChangeCreditLimit(_)
            | Step::DeleteCustomer(_)
            | Step::Deliver(Deliver::All | Deliver::Next(_))
            | Step::Race(_)
            | Step::Repeat(_)
            | Step::Projection(_) => None,
        }
    }
}

fn repeat_problem(repeat: &Repeat) -> Option<String> {
    if repeat.times == 0 || repeat.times > MAX_ROUNDS {
        return Some(format!(
            "repeat: `times` is {}, it must be 1 to {MAX_ROUNDS}",
            repeat.times
        ));
    }
    if repeat.steps.is_empty() {
        return Some("repeat: `steps` is empty".to_string());
    }
    if repeat.steps.iter().any(|s| matches!(s, Step::Repeat(_))) {
        // `{i}` would be ambiguous: which round's number?
        return Some("a repeat cannot contain another repeat".to_string());
    }
    let first = match repeat.round(1) {
        Ok(steps) => steps,
        Err(problem) => return Some(format!("repeat: {problem}")),
    };
    first
        .iter()
        .find_map(Step::problem)
        .map(|problem| format!("repeat: {problem}"))
}

fn race_problem(steps: &[Step]) -> Option<String> {
    let mut busy = Vec::new();
    for step in steps {
        match step {
            Step::Race(_) => return Some("a race cannot contain another race".to_string()),
            Step::Repeat(_) => return Some("a race cannot contain a repeat".to_string()),
            Step::Deliver(Deliver::All | Deliver::Next(_)) => {
                return Some(
                    "a race can only deliver to a named subscriber: {\"deliver\": {\"subscriber\": ...}}"
                        .to_string(),
                )
            }
            other => {
                if let Some(problem) = other.problem() {
                    return Some(problem);
                }
                if let Some(worker) = other.worker() {
                    if busy.contains(&worker) {
                        // One subscriber is one worker handling events in order; two concurrent
                        // deliveries to it would overwrite each other's checkpoint.
                        return Some(format!(
                            "a race can deliver to {} only once",
                            worker.name()
                        ));
                    }
                    busy.push(worker);
                }
            }
        }
    }
    None
}

impl Serialize for Deliver {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Deliver::All => serializer.serialize_str("all"),
            Deliver::Next(count) => serializer.serialize_u32(*count),
            Deliver::To { subscriber, count } => ToSubscriber {
                subscriber: *subscriber,
                count: Some(*count),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Deliver {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const SHAPE: &str = "`deliver` takes \"all\", a number of deliveries, or {\"subscriber\": \"customer-service\" | \"order-service\" | \"customer-view\", \"count\": N}";
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(word) if word == "all" => Ok(Deliver::All),
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Deliver::Next)
                .ok_or_else(|| D::Error::custom(SHAPE)),
            value @ serde_json::Value::Object(_) => {
                let to: ToSubscriber = serde_json::from_value(value)
                    .map_err(|e| D::Error::custom(format!("{SHAPE}: {e}")))?;
                Ok(Deliver::To {
                    subscriber: to.subscriber,
                    count: to.count.unwrap_or(1),
                })
            }
            _ => Err(D::Error::custom(SHAPE)),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToSubscriber {
    #[serde(with = "subscriber_name")]
    subscriber: Subscriber,
    #[serde(default)]
    count: Option<u32>,
}

/// A subscriber as its checkpoint name: `customer-service`, `order-service`, `customer-view`.
pub mod subscriber_name {
    use super::*;

    /// Writes the name.
    pub fn serialize<S: Serializer>(subscriber: &Subscriber, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(subscriber.name())
    }

    /// Reads a name, explaining which names exist when it is none of them.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Subscriber, D::Error> {
        let name = String::deserialize(d)?;
        Subscriber::from_name(&name).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown subscriber `{name}`, expected customer-service, order-service or customer-view"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Step, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_step_reads_back_as_it_was_written() {
        let steps = vec![
            Step::CreateCustomer(CreateCustomer {
                id: "c1".into(),
                name: Some("Ada".into()),
                limit_cents: 100,
            }),
            Step::PlaceOrder(PlaceOrder {
                id: "o1".into(),
                customer: "c1".into(),
                total_cents: 5,
            }),
            Step::Deliver(Deliver::All),
            Step::Deliver(Deliver::Next(3)),
            Step::Deliver(Deliver::To {
                subscriber: Subscriber::OrderService,
                count: 2,
            }),
            Step::DeliverAgain(Redeliver {
                subscriber: Subscriber::CustomerView,
                event_id: 4,
            }),
            Step::Race(vec![Step::Crash(Crash {
                subscriber: Subscriber::CustomerService,
            })]),
            Step::CancelOrder(CancelOrder { id: "o1".into() }),
            Step::ShipOrder(ShipOrder { id: "o1".into() }),
            Step::ChangeCreditLimit(ChangeCreditLimit {
                id: "c1".into(),
                limit_cents: 700,
            }),
            Step::DeleteCustomer(DeleteCustomer { id: "c1".into() }),
            Step::Repeat(Repeat {
                times: 2,
                steps: vec![Step::Deliver(Deliver::All)],
            }),
        ];
        let json = serde_json::to_string(&steps).expect("serializes");
        let back: Vec<Step> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, steps);
    }

    #[test]
    fn deliver_reads_its_three_shapes() {
        assert_eq!(
            parse(r#"{"deliver":"all"}"#),
            Ok(Step::Deliver(Deliver::All))
        );
        assert_eq!(
            parse(r#"{"deliver":2}"#),
            Ok(Step::Deliver(Deliver::Next(2)))
        );
        assert_eq!(
            parse(r#"{"deliver":{"subscriber":"customer-view"}}"#),
            Ok(Step::Deliver(Deliver::To {
                subscriber: Subscriber::CustomerView,
                count: 1
            }))
        );
    }

    #[test]
    fn a_malformed_step_is_explained_not_a_panic() {
        let err = parse(r#"{"deliver":"some"}"#).expect_err("bad shape");
        assert!(err.contains("`deliver` takes \"all\""), "{err}");
        let err = parse(r#"{"deliver_again":{"subscriber":"billing","event_id":1}}"#)
            .expect_err("bad subscriber");
        assert!(err.contains("unknown subscriber `billing`"), "{err}");
        let err = parse(r#"{"place_ordr":{}}"#).expect_err("bad step");
        assert!(err.contains("unknown variant `place_ordr`"), "{err}");
        let err = parse(r#"{"place_order":{"id":"o1","customer":"c1"}}"#).expect_err("missing");
        assert!(err.contains("missing field `total_cents`"), "{err}");
    }

    #[test]
    fn the_new_commands_read_as_documented() {
        assert_eq!(
            parse(r#"{"change_credit_limit": {"id": "c1", "limit_cents": 500}}"#),
            Ok(Step::ChangeCreditLimit(ChangeCreditLimit {
                id: "c1".into(),
                limit_cents: 500
            }))
        );
        let err = parse(r#"{"ship_order": {"order": "o1"}}"#).expect_err("bad field");
        assert!(err.contains("unknown field `order`"), "{err}");
        assert_eq!(
            Step::CancelOrder(CancelOrder { id: " ".into() }).problem(),
            Some("cancel_order needs a non-empty id".to_string())
        );
    }

    #[test]
    fn each_round_of_a_repeat_numbers_its_ids() {
        let repeat = Repeat {
            times: 3,
            steps: vec![
                Step::PlaceOrder(PlaceOrder {
                    id: "o{i}".into(),
                    customer: "c1".into(),
                    total_cents: 100,
                }),
                Step::CancelOrder(CancelOrder {
                    id: "o{i}-of-{i}".into(),
                }),
            ],
        };
        assert_eq!(
            repeat.round(2),
            Ok(vec![
                Step::PlaceOrder(PlaceOrder {
                    id: "o2".into(),
                    customer: "c1".into(),
                    total_cents: 100,
                }),
                Step::CancelOrder(CancelOrder {
                    id: "o2-of-2".into()
                }),
            ])
        );
        assert_eq!(Step::Repeat(repeat).problem(), None);
    }

    #[test]
    fn a_repeat_needs_rounds_and_steps_and_holds_no_repeat() {
        let repeat = |times, steps| Step::Repeat(Repeat { times, steps });
        let all = || vec![Step::Deliver(Deliver::All)];
        assert_eq!(
            repeat(0, all()).problem(),
            Some("repeat: `times` is 0, it must be 1 to 1000".to_string())
        );
        assert!(repeat(MAX_ROUNDS + 1, all()).problem().is_some());
        assert_eq!(
            repeat(2, Vec::new()).problem(),
            Some("repeat: `steps` is empty".to_string())
        );
        assert_eq!(
            repeat(2, vec![repeat(2, all())]).problem(),
            Some("a repeat cannot contain another repeat".to_string())
        );
        let blank = vec![Step::ShipOrder(ShipOrder { id: "".into() })];
        assert_eq!(
            repeat(2, blank).problem(),
            Some("repeat: ship_order needs a non-empty id".to_string())
        );
        assert_eq!(
            Step::Race(vec![repeat(2, all())]).problem(),
            Some("a race cannot contain a repeat".to_string())
        );
    }

    #[test]
    fn a_race_may_use_each_subscriber_once_and_holds_no_race() {
        let to = |s| {
            Step::Deliver(Deliver::To {
                subscriber: s,
                count: 1,
            })
        };
        let fine = Step::Race(vec![
            to(Subscriber::CustomerService),
            to(Subscriber::OrderService),
        ]);
        assert_eq!(fine.problem(), None);
        let twice = Step::Race(vec![
            to(Subscriber::CustomerView),
            Step::Crash(Crash {
                subscriber: Subscriber::CustomerView,
            }),
        ]);
        assert_eq!(
            twice.problem(),
            Some("a race can deliver to customer-view only once".to_string())
        );
        let nested = Step::Race(vec![Step::Race(Vec::new())]);
        assert!(nested.problem().is_some());
        assert!(Step::Race(vec![Step::Deliver(Deliver::All)])
            .problem()
            .is_some());
    }
}
