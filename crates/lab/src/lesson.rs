//! A lesson as a path the learner walks: steps that something must make happen (the learner in the
//! lab's own forms and Step button, or a part of a scenario run for them), a question asked before
//! the step that matters, and a judge that reads the store to see whether the step has happened.
//! The lab shows the text; this module decides what counts as done, so it is tested natively.

use foldlab_domain::customer::CustomerEvent;
use foldlab_domain::order::OrderEvent;
use foldlab_domain::{decode, EventEnvelope, Money, StoredEvent};
use serde::{Deserialize, Serialize};

/// Where a lesson sits on the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// One order through the choreography, refusals, cancelling, shipping.
    Basics,
    /// The query side lags the command side.
    CqrsLag,
    /// Duplicates, crashes and races.
    Reliability,
    /// Old events and long histories.
    Evolution,
    /// Why keep events at all.
    Why,
}

impl Group {
    /// Every group, in the order of the path.
    pub const ALL: [Group; 5] = [
        Group::Basics,
        Group::CqrsLag,
        Group::Reliability,
        Group::Evolution,
        Group::Why,
    ];

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Basics => "Basics",
            Group::CqrsLag => "CQRS lag",
            Group::Reliability => "Reliability",
            Group::Evolution => "Evolution",
            Group::Why => "Why events",
        }
    }

    /// Its anchor on the lessons page.
    pub fn id(self) -> &'static str {
        match self {
            Group::Basics => "basics",
            Group::CqrsLag => "cqrs-lag",
            Group::Reliability => "reliability",
            Group::Evolution => "evolution",
            Group::Why => "why",
        }
    }
}

/// One lesson.
#[derive(Debug)]
pub struct Lesson {
    /// Its id in the route: the scenario file's name without `.json`.
    pub id: &'static str,
    /// Its title: a question the lesson answers.
    pub title: &'static str,
    /// Its place on the path.
    pub group: Group,
    /// About how long it takes.
    pub minutes: u8,
    /// The scenario file (its description, settings and the steps [`Act::Run`] runs).
    pub scenario: &'static str,
    /// Its steps.
    pub steps: &'static [Step],
}

/// One step of a lesson.
#[derive(Debug)]
pub struct Step {
    /// A heading.
    pub title: &'static str,
    /// What happened, tied to the pattern: shown once the step has happened.
    pub text: &'static str,
    /// Where to look in the lab.
    pub look: Look,
    /// What makes the step happen.
    pub act: Act,
    /// The question asked before the step happens, if this step is one that matters.
    pub predict: Option<Prediction>,
}

/// Where to look, and which part of the screen that is.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    /// In words.
    pub text: &'static str,
    /// The part of the lab it names.
    pub target: Target,
}

/// A part of the lab screen a lesson points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The forms and the aggregates' state.
    CommandSide,
    /// Step, the deliveries and the checkpoints.
    Choreography,
    /// The customer view.
    QuerySide,
    /// The event store table.
    EventStore,
    /// The lesson's own list of what ran and where the lab stands.
    Lesson,
}

impl Target {
    /// The id of the heading that labels that part (its section's `aria-labelledby`).
    pub fn anchor(self) -> &'static str {
        match self {
            Target::CommandSide => "command-title",
            Target::Choreography => "choreo-title",
            Target::QuerySide => "query-title",
            Target::EventStore => "events-title",
            Target::Lesson => "lesson-ran-title",
        }
    }
}

/// What makes a step happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The next part of the scenario, up to this many of its steps, run for the learner.
    Run(usize),
    /// Something the learner does in the lab; "Do it for me" does the same through the same commands.
    Do {
        /// What to do.
        task: Task,
        /// How many of the scenario's first steps it stands for, so that the parts run after it
        /// start where it left off (0 in a lesson the learner makes wholly by hand).
        covers: usize,
    },
}

/// Something the learner does in the lab's own forms or with Step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Create a customer with this credit limit (the name is a suggestion).
    CreateCustomer {
        /// A name to type.
        name: &'static str,
        /// The credit limit, in cents.
        limit_cents: i64,
    },
    /// Place an order of this total for the newest customer.
    PlaceOrder {
        /// The total, in cents.
        total_cents: i64,
    },
    /// Press Step (or Run to end) until nothing waits.
    DeliverAll,
}

/// What the store holds, as far as a judge needs it.
#[derive(Clone, Copy, Debug)]
pub struct Readout<'a> {
    /// The whole log, oldest first.
    pub events: &'a [EventEnvelope],
    /// Deliveries waiting.
    pub pending: usize,
}

impl Readout<'_> {
    fn decoded(&self) -> impl Iterator<Item = StoredEvent> + '_ {
        self.events.iter().filter_map(|e| decode(e).ok())
    }

    /// The newest customer that was created, by id.
    pub fn newest_customer(&self) -> Option<String> {
        self.decoded().fold(None, |newest, event| match event {
            StoredEvent::Customer(id, CustomerEvent::Created(_)) => Some(id.to_string()),
            _ => newest,
        })
    }
}

impl Task {
    /// What the learner is asked to do, in one sentence.
    pub fn instruction(self) -> String {
        match self {
            Task::CreateCustomer { name, limit_cents } => format!(
                "In \u{201c}Create a customer\u{201d}, create {name} with a credit limit of {}.",
                Money::from_cents(limit_cents)
            ),
            Task::PlaceOrder { total_cents } => format!(
                "In \u{201c}Place an order\u{201d}, place an order of {} for that customer.",
                Money::from_cents(total_cents)
            ),
            Task::DeliverAll => {
                "Press Step until nothing waits (or Run to end), and watch each delivery."
                    .to_string()
            }
        }
    }

    /// The id of the heading that labels where it is done: a form, or the Choreography panel.
    pub fn anchor(self) -> &'static str {
        match self {
            Task::CreateCustomer { .. } => "create-customer-title",
            Task::PlaceOrder { .. } => "place-order-title",
            Task::DeliverAll => Target::Choreography.anchor(),
        }
    }

    /// Whether the store shows that it has been done.
    pub fn done(self, readout: &Readout) -> bool {
        match self {
            Task::CreateCustomer { limit_cents, .. } => readout.decoded().any(|e| {
                matches!(e, StoredEvent::Customer(_, CustomerEvent::Created(c))
                    if c.credit_limit == Money::from_cents(limit_cents))
            }),
            Task::PlaceOrder { total_cents } => readout.decoded().any(|e| {
                matches!(e, StoredEvent::Order(_, OrderEvent::Created(o))
                    if o.total() == Money::from_cents(total_cents))
            }),
            Task::DeliverAll => readout.pending == 0 && !readout.events.is_empty(),
        }
    }
}

/// A question asked before a step happens.
#[derive(Debug)]
pub struct Prediction {
    /// The question.
    pub question: &'static str,
    /// Two or three answers.
    pub choices: &'static [&'static str],
    /// Which answer is right.
    pub right: usize,
    /// Why, shown once the step has happened.
    pub why: &'static str,
}

/// What the learner's answer turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The answer was right.
    Right,
    /// It was not; the right one is this.
    Wrong {
        /// The right answer.
        right: &'static str,
    },
}

impl Prediction {
    /// Judges an answer.
    pub fn verdict(&self, chosen: usize) -> Verdict {
        if chosen == self.right {
            Verdict::Right
        } else {
            Verdict::Wrong {
                right: self.choices.get(self.right).copied().unwrap_or_default(),
            }
        }
    }
}

/// Where the learner stands in a lesson: which steps have happened and what was answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Walk {
    /// How many steps have happened, in order.
    pub happened: usize,
    /// How many of the scenario's steps have run.
    pub ran: usize,
    /// The answer given to each step's question so far, by step.
    pub answers: Vec<Option<usize>>,
}

/// What the learner can do next in a lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Answer the question of this step first.
    Predict(usize),
    /// Make this step happen.
    Act(usize),
    /// Every step has happened.
    Complete,
}

impl Lesson {
    /// What comes next, given the walk so far.
    pub fn next(&self, walk: &Walk) -> Next {
        let n = walk.happened;
        match self.steps.get(n) {
            None => Next::Complete,
            Some(step) => {
                let answered = walk.answers.get(n).copied().flatten().is_some();
                if step.predict.is_some() && !answered {
                    Next::Predict(n)
                } else {
                    Next::Act(n)
                }
            }
        }
    }

    /// Moves the walk on over every step whose act the store shows has happened (a [`Act::Run`]
    /// happens once its part has run; a [`Act::Do`] once the store shows the task done). A step
    /// with an unanswered question waits for its answer, even if the learner already acted.
    pub fn advance(&self, walk: &mut Walk, readout: &Readout) {
        while let Next::Act(n) = self.next(walk) {
            let happened = match self.steps[n].act {
                Act::Run(upto) => walk.ran >= upto,
                Act::Do { task, covers } => {
                    let done = task.done(readout);
                    if done {
                        walk.ran = walk.ran.max(covers);
                    }
                    done
                }
            };
            if !happened {
                break;
            }
            walk.happened = n + 1;
        }
    }

    /// Records the answer to step `n`'s question.
    pub fn answer(&self, walk: &mut Walk, n: usize, chosen: usize) {
        if walk.answers.len() <= n {
            walk.answers.resize(n + 1, None);
        }
        walk.answers[n] = Some(chosen);
    }

    /// Whether every step has happened.
    pub fn complete(&self, walk: &Walk) -> bool {
        walk.happened >= self.steps.len()
    }

    /// A lesson's own consistency: each question has two or three answers and a right one among
    /// them, and the parts it runs go forward.
    pub fn check(&self) -> Result<(), String> {
        let mut ran = 0;
        for (n, step) in self.steps.iter().enumerate() {
            if let Some(p) = &step.predict {
                if !(2..=3).contains(&p.choices.len()) || p.right >= p.choices.len() {
                    return Err(format!(
                        "{}: step {} asks a malformed question",
                        self.id,
                        n + 1
                    ));
                }
            }
            let upto = match step.act {
                Act::Run(upto) => upto,
                Act::Do { covers, .. } => covers.max(ran),
            };
            if upto < ran {
                return Err(format!("{}: step {} runs backwards", self.id, n + 1));
            }
            ran = upto;
        }
        if self.steps.is_empty() {
            return Err(format!("{} has no steps", self.id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldlab_domain::{CustomerId, OrderId};
    use foldlab_engine::Engine;
    use foldlab_store::{EventStore, MemoryStore};
    use futures::executor::block_on;

    const LOOK: Look = Look {
        text: "The event store.",
        target: Target::EventStore,
    };
    const QUESTION: Prediction = Prediction {
        question: "What does the store hold after the order?",
        choices: &["OrderCreated only", "OrderCreated and CreditReserved"],
        right: 0,
        why: "One command changes one aggregate.",
    };
    const ACTED: Lesson = Lesson {
        id: "acted",
        title: "What happens when you place an order?",
        group: Group::Basics,
        minutes: 3,
        scenario: "",
        steps: &[
            Step {
                title: "A customer",
                text: "",
                look: LOOK,
                act: Act::Do {
                    task: Task::CreateCustomer {
                        name: "Ada",
                        limit_cents: 10_000,
                    },
                    covers: 0,
                },
                predict: None,
            },
            Step {
                title: "An order",
                text: "",
                look: LOOK,
                act: Act::Do {
                    task: Task::PlaceOrder { total_cents: 4_000 },
                    covers: 0,
                },
                predict: Some(QUESTION),
            },
            Step {
                title: "Deliveries",
                text: "",
                look: LOOK,
                act: Act::Do {
                    task: Task::DeliverAll,
                    covers: 0,
                },
                predict: None,
            },
        ],
    };

    /// The lab's store after some of the learner's acts.
    struct Lab {
        engine: Engine<MemoryStore>,
    }

    impl Lab {
        fn new() -> Self {
            Lab {
                engine: Engine::new(MemoryStore::new(), Box::new(|| 0)),
            }
        }

        fn judge(&self, lesson: &Lesson, walk: &mut Walk) {
            let events = block_on(self.engine.store().read_all(0, usize::MAX)).expect("read");
            let pending = block_on(self.engine.pending()).expect("pending");
            lesson.advance(
                walk,
                &Readout {
                    events: &events,
                    pending,
                },
            );
        }

        fn create(&self, cents: i64) {
            block_on(self.engine.create_customer(
                &CustomerId::new("c1"),
                "Ada",
                Money::from_cents(cents),
                "k1",
            ))
            .expect("created");
        }

        fn order(&self, cents: i64) {
            block_on(self.engine.place_order(
                &OrderId::new("o1"),
                &CustomerId::new("c1"),
                Money::from_cents(cents),
                "k2",
            ))
            .expect("placed");
        }

        fn step(&self) {
            block_on(self.engine.step()).expect("stepped");
        }
    }

    #[test]
    fn it_should_judge_each_act_from_what_the_store_holds() {
        let lab = Lab::new();
        let mut walk = Walk::default();
        lab.judge(&ACTED, &mut walk);
        assert_eq!(ACTED.next(&walk), Next::Act(0), "nothing done yet");

        lab.create(10_000);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(
            ACTED.next(&walk),
            Next::Predict(1),
            "asked before the order"
        );

        ACTED.answer(&mut walk, 1, 1);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(ACTED.next(&walk), Next::Act(1), "waits for the order");
        lab.order(4_000);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(ACTED.next(&walk), Next::Act(2));

        lab.step();
        lab.judge(&ACTED, &mut walk);
        assert!(
            !ACTED.complete(&walk),
            "one Step is not the end: deliveries wait"
        );
        while block_on(lab.engine.pending()).expect("pending") > 0 {
            lab.step();
        }
        lab.judge(&ACTED, &mut walk);
        assert!(
            ACTED.complete(&walk),
            "complete once the last step happened"
        );
        assert_eq!(ACTED.next(&walk), Next::Complete);
    }

    #[test]
    fn it_should_not_count_a_customer_with_another_limit_or_an_order_of_another_total() {
        let lab = Lab::new();
        let mut walk = Walk::default();
        lab.create(5_000);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(walk.happened, 0);
        let other = Lab::new();
        other.create(10_000);
        ACTED.answer(&mut walk, 1, 0);
        other.order(3_000);
        other.judge(&ACTED, &mut walk);
        assert_eq!(
            walk.happened, 1,
            "the customer counts, the $30.00 order does not"
        );
    }

    #[test]
    fn it_should_wait_for_the_answer_even_when_the_learner_acted_first() {
        let lab = Lab::new();
        let mut walk = Walk::default();
        lab.create(10_000);
        lab.order(4_000);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(ACTED.next(&walk), Next::Predict(1));
        ACTED.answer(&mut walk, 1, 0);
        lab.judge(&ACTED, &mut walk);
        assert_eq!(ACTED.next(&walk), Next::Act(2));
    }

    #[test]
    fn it_should_say_whether_a_prediction_was_right_and_name_the_right_answer() {
        assert_eq!(QUESTION.verdict(0), Verdict::Right);
        assert_eq!(
            QUESTION.verdict(1),
            Verdict::Wrong {
                right: "OrderCreated only"
            }
        );
    }

    #[test]
    fn it_should_count_a_run_step_as_happened_only_once_its_part_ran() {
        const RUN: Lesson = Lesson {
            id: "run",
            title: "?",
            group: Group::Reliability,
            minutes: 2,
            scenario: "",
            steps: &[
                Step {
                    title: "One",
                    text: "",
                    look: LOOK,
                    act: Act::Run(2),
                    predict: None,
                },
                Step {
                    title: "Two",
                    text: "",
                    look: LOOK,
                    act: Act::Run(5),
                    predict: Some(QUESTION),
                },
            ],
        };
        RUN.check().expect("well formed");
        let empty = Readout {
            events: &[],
            pending: 0,
        };
        let mut walk = Walk::default();
        RUN.advance(&mut walk, &empty);
        assert_eq!(RUN.next(&walk), Next::Act(0));
        walk.ran = 2;
        RUN.advance(&mut walk, &empty);
        assert_eq!(RUN.next(&walk), Next::Predict(1));
        RUN.answer(&mut walk, 1, 1);
        walk.ran = 5;
        RUN.advance(&mut walk, &empty);
        assert!(RUN.complete(&walk));
    }

    #[test]
    fn it_should_run_the_scenario_on_from_where_the_learners_own_act_left_off() {
        const MIXED: Lesson = Lesson {
            id: "mixed",
            title: "?",
            group: Group::Reliability,
            minutes: 2,
            scenario: "",
            steps: &[
                Step {
                    title: "By hand",
                    text: "",
                    look: LOOK,
                    act: Act::Do {
                        task: Task::CreateCustomer {
                            name: "Ada",
                            limit_cents: 10_000,
                        },
                        covers: 1,
                    },
                    predict: None,
                },
                Step {
                    title: "Run for you",
                    text: "",
                    look: LOOK,
                    act: Act::Run(3),
                    predict: None,
                },
            ],
        };
        MIXED.check().expect("well formed");
        let lab = Lab::new();
        let mut walk = Walk::default();
        lab.judge(&MIXED, &mut walk);
        assert_eq!(walk.ran, 0);
        lab.create(10_000);
        lab.judge(&MIXED, &mut walk);
        assert_eq!(
            (walk.happened, walk.ran),
            (1, 1),
            "the next part starts at step 2"
        );
    }

    #[test]
    fn it_should_refuse_a_question_without_a_right_answer() {
        const BAD: Lesson = Lesson {
            id: "bad",
            title: "?",
            group: Group::Why,
            minutes: 1,
            scenario: "",
            steps: &[Step {
                title: "One",
                text: "",
                look: LOOK,
                act: Act::Run(1),
                predict: Some(Prediction {
                    question: "?",
                    choices: &["a", "b"],
                    right: 2,
                    why: "",
                }),
            }],
        };
        assert!(BAD.check().is_err());
        assert!(ACTED.check().is_ok());
    }

    #[test]
    fn it_should_find_the_newest_customer_for_do_it_for_me() {
        let lab = Lab::new();
        lab.create(10_000);
        let events = block_on(lab.engine.store().read_all(0, usize::MAX)).expect("read");
        let readout = Readout {
            events: &events,
            pending: 0,
        };
        assert_eq!(readout.newest_customer().as_deref(), Some("c1"));
    }
}
