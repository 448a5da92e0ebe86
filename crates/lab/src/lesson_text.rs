//! The guided lessons' words, which the app shows: each bundled scenario (`scenarios/*.json`, compiled in) as a path of
//! steps (the model is `foldlab_lab::lesson`). A step either asks the learner to act in the lab's own
//! forms and Step button, or runs the next part of the scenario; a question comes before the step
//! that matters. Every sentence is written to be true of what the lab then shows, and of the
//! articles the lab teaches (Chris Richardson's two-part InfoQ article); a rule that is Foldlab's
//! own says so. `docs/claims.md` lists each claim and its source.

use crate::lesson::{Act, Group, Lesson, Look, Prediction, Step, Target, Task};

const fn look(target: Target, text: &'static str) -> Look {
    Look { text, target }
}

/// A step that runs the scenario up to its step `upto`.
const fn run(title: &'static str, text: &'static str, look: Look, upto: usize) -> Step {
    Step {
        title,
        text,
        look,
        act: Act::Run(upto),
        predict: None,
    }
}

/// A step the learner makes happen in the lab.
const fn act(title: &'static str, text: &'static str, look: Look, task: Task) -> Step {
    act_for(title, text, look, task, 0)
}

/// A step the learner makes happen in the lab, standing for the scenario's first `covers` steps:
/// the parts run after it go on from there.
const fn act_for(
    title: &'static str,
    text: &'static str,
    look: Look,
    task: Task,
    covers: usize,
) -> Step {
    Step {
        title,
        text,
        look,
        act: Act::Do { task, covers },
        predict: None,
    }
}

/// The same step, with a question asked before it happens.
const fn ask(
    step: Step,
    question: &'static str,
    choices: &'static [&'static str],
    right: usize,
    why: &'static str,
) -> Step {
    Step {
        predict: Some(Prediction {
            question,
            choices,
            right,
            why,
        }),
        ..step
    }
}

/// Every lesson, in the order a course would take them.
pub const LESSONS: &[Lesson] = &[
    Lesson {
        id: "happy_path",
        title: "What happens when you place an order?",
        group: Group::Basics,
        minutes: 4,
        scenario: include_str!("../../../scenarios/happy_path.json"),
        steps: &[
            act(
                "Create a customer",
                "One command created one aggregate, a Customer with a $100.00 credit limit. Its state is not stored as a row; what is stored is the event CustomerCreated.",
                look(Target::EventStore, "The event store: one row, CustomerCreated."),
                Task::CreateCustomer { name: "Ada", limit_cents: 10_000 },
            ),
            ask(
                act(
                    "Place an order",
                    "Placing the order was one transaction on one new aggregate, the Order, which stored OrderCreated. Before it, the customer was only looked up, through the Customer service's API. The order is NEW and no credit is reserved yet.",
                    look(Target::EventStore, "The event store: OrderCreated, and nothing else new."),
                    Task::PlaceOrder { total_cents: 4_000 },
                ),
                "Right after you place the order, what does the event store hold?",
                &[
                    "OrderCreated only: the order is NEW",
                    "OrderCreated and CreditReserved: the order is approved at once",
                    "Nothing yet: the order waits until the credit is checked",
                ],
                0,
                "A transaction creates or updates one aggregate (Part 1, One Transaction Creates or Updates One Aggregate). Placing the order created the Order; the Order service may not touch the Customer, so the credit is reserved later, when the Customer service handles OrderCreated.",
            ),
            ask(
                act(
                    "The services react to events",
                    "The event store handed OrderCreated to the Customer service, which reserved credit on the Customer (CreditReserved); it handed that event to the Order service, which approved the order (OrderApproved). No service called another: each reacted to an event by changing only its own aggregate. This chain of local transactions linked by events is a saga (companion article \u{201c}CQRS + Event Sourcing \u{2014} microservice patterns\u{201d}, Eventual Consistency & Distributed Transactions).",
                    look(Target::QuerySide, "The customer view: $60.00 available."),
                    Task::DeliverAll,
                ),
                "Once every delivery has run, how much credit will the customer view show as available?",
                &["$100.00", "$60.00", "$40.00"],
                1,
                "The Customer service reserved the order's $40.00 on OrderCreated, and the Order service approved the order on CreditReserved (Part 1, Using an Event-Driven Architecture). The view applied those events too: $100.00 less $40.00 reserved.",
            ),
        ],
    },
    Lesson {
        id: "credit_limit_exceeded",
        title: "What happens to an order over the credit limit?",
        group: Group::Basics,
        minutes: 4,
        scenario: include_str!("../../../scenarios/credit_limit_exceeded.json"),
        steps: &[
            act(
                "Create a customer",
                "A Customer with a $10.00 credit limit: CustomerCreated.",
                look(Target::CommandSide, "The command side: the customer, $10.00 available."),
                Task::CreateCustomer { name: "Ada", limit_cents: 1_000 },
            ),
            act(
                "A $7.00 order",
                "The first order is stored, NEW.",
                look(Target::CommandSide, "The command side: one NEW order."),
                Task::PlaceOrder { total_cents: 700 },
            ),
            ask(
                act(
                    "A $4.00 order",
                    "Each order alone would fit; together they would not. Both are stored, because each is its own aggregate and placing one does not check credit.",
                    look(Target::CommandSide, "The command side: two NEW orders."),
                    Task::PlaceOrder { total_cents: 400 },
                ),
                "The $7.00 order is not approved yet. What happens when you place the $4.00 one?",
                &[
                    "It is stored, NEW, like the first",
                    "It is refused: together the two orders pass the limit",
                ],
                0,
                "Placing an order changes only the new Order (Part 1, One Transaction Creates or Updates One Aggregate). The credit is checked later, by the Customer, when the Customer service handles each OrderCreated.",
            ),
            ask(
                act(
                    "One reserved, one exceeded",
                    "The Customer service reserved $7.00 for the first order. For the second only $3.00 was left, so the Customer aggregate recorded CreditLimitExceeded: an event that records the refused attempt, not a change of its state. The Order service approved the first order and cancelled the second.",
                    look(Target::EventStore, "The event store: CreditReserved, CreditLimitExceeded, OrderApproved, OrderCancelled."),
                    Task::DeliverAll,
                ),
                "What happens to the $4.00 order once the events are delivered?",
                &[
                    "It is approved: $11.00 is reserved against the $10.00 limit",
                    "It stays NEW until credit frees up",
                    "It is cancelled: the Customer records CreditLimitExceeded",
                ],
                2,
                "The Customer aggregate decides each reservation against what it already holds, and refuses the one that does not fit; the Order service reacts by cancelling the order (Part 1, Using an Event-Driven Architecture).",
            ),
        ],
    },
    Lesson {
        id: "racing_for_the_last_credit",
        title: "Can two orders at once overdraw the credit limit?",
        group: Group::Reliability,
        minutes: 4,
        scenario: include_str!("../../../scenarios/racing_for_the_last_credit.json"),
        steps: &[
            run(
                "Two orders at the same moment",
                "Ada has a $10.00 limit. Orders of $7.00 and $6.00 are placed at the same time. They are two different aggregates, so both are stored without any conflict; neither could check the other.",
                look(Target::EventStore, "The event store: two OrderCreated events, in whichever order the store took them."),
                2,
            ),
            ask(
                run(
                    "The Customer aggregate decides one at a time",
                    "Both reservations go through one aggregate, the Customer, and each is decided against the state the previous one left. Whichever order's event came first got its credit; the other no longer fit and the Customer recorded CreditLimitExceeded. Meanwhile a third order, for $3.00, was placed while the Customer service and the view were busy.",
                    look(Target::Choreography, "The Deliveries list: one CreditReserved and one CreditLimitExceeded."),
                    3,
                ),
                "Both orders are stored and NEW. When the Customer service handles both, what does the Customer record?",
                &["One CreditReserved and one CreditLimitExceeded", "Two CreditReserved: $13.00 reserved against a $10.00 limit"],
                0,
                "Both reservations go through one aggregate, and its updates happen one after another, each decided against the state the previous one left (Part 1, One Transaction Creates or Updates One Aggregate).",
            ),
            run(
                "Everything delivered",
                "The Order service approved each order that got credit and cancelled the one that did not. The small third order still fit. Reserved credit never went over the limit, because one aggregate enforced it in one transaction at a time.",
                look(Target::CommandSide, "The command side: two APPROVED orders and one CANCELLED; the customer view agrees."),
                4,
            ),
        ],
    },
    Lesson {
        id: "duplicate_delivery",
        title: "What if an event is delivered twice?",
        group: Group::Reliability,
        minutes: 4,
        scenario: include_str!("../../../scenarios/duplicate_delivery.json"),
        steps: &[
            act_for(
                "Create a customer",
                "A Customer with a $10.00 credit limit: CustomerCreated, event #1.",
                look(Target::EventStore, "The event store: CustomerCreated #1."),
                Task::CreateCustomer { name: "Ada", limit_cents: 1_000 },
                1,
            ),
            act_for(
                "Place an order",
                "A $7.00 order: OrderCreated, event #2, NEW.",
                look(Target::EventStore, "The event store: OrderCreated #2."),
                Task::PlaceOrder { total_cents: 700 },
                2,
            ),
            act_for(
                "Let the choreography approve it",
                "The Customer service reserved the credit (CreditReserved #3) and the Order service approved the order. Each subscriber's checkpoint now holds the highest event id it has handled.",
                look(Target::Choreography, "The Checkpoints list in the Choreography panel."),
                Task::DeliverAll,
                3,
            ),
            ask(
                run(
                    "The services get events again",
                    "A message broker usually delivers at least once, so an event can come twice. OrderCreated #2 came again to the Customer service and CreditReserved #3 to the Order service. Reserving credit and deciding an order are not idempotent, so each handler must detect duplicates (Part 2, Benefits and Drawbacks of Event Sourcing). Each compared the event id with the highest it had seen and discarded it: no credit reserved twice, no order decided twice.",
                    look(Target::Choreography, "The Deliveries list: duplicate discarded, twice. The event store has no new rows."),
                    5,
                ),
                "OrderCreated #2, already handled, comes again to the Customer service. What happens?",
                &[
                    "Credit is reserved again: $14.00 reserved",
                    "It is discarded as a duplicate: nothing is stored",
                    "The delivery fails with an error",
                ],
                1,
                "Reserving credit is not idempotent, so the handler must detect and discard duplicates, and it can do so by tracking the highest event id it has seen (Part 2, Benefits and Drawbacks of Event Sourcing). #2 is not above its checkpoint.",
            ),
            run(
                "The view gets events again",
                "The customer view tracks the highest event id it has applied as well, so #3 and #1, delivered to it again, were discarded too. Its available credit stays at $3.00.",
                look(Target::QuerySide, "The customer view: $3.00 available, as before."),
                7,
            ),
        ],
    },
    Lesson {
        id: "crash_before_checkpoint",
        title: "What if a service crashes before its checkpoint?",
        group: Group::Reliability,
        minutes: 5,
        scenario: include_str!("../../../scenarios/crash_before_checkpoint.json"),
        steps: &[
            act_for(
                "Create a customer",
                "A Customer with a $10.00 credit limit: CustomerCreated.",
                look(Target::CommandSide, "The command side: the customer, $10.00 available."),
                Task::CreateCustomer { name: "Ada", limit_cents: 1_000 },
                1,
            ),
            act_for(
                "An order too large",
                "A $15.00 order is stored, NEW: placing an order does not check credit.",
                look(Target::CommandSide, "The command side: one NEW order."),
                Task::PlaceOrder { total_cents: 1_500 },
                2,
            ),
            run(
                "The Customer service crashes",
                "The Customer service handled OrderCreated: it stored its effect (CreditLimitExceeded) and then stopped before saving its checkpoint. It restarts from the checkpoint it had, so OrderCreated will be delivered again.",
                look(Target::Choreography, "The Deliveries list: crashed before its checkpoint. The Checkpoints list: the Customer service has not moved."),
                3,
            ),
            ask(
                run(
                    "The redelivery is recognised by its effect",
                    "The view crashed too; it keeps its document in its checkpoint, so it lost both and will simply apply the event again. Then OrderCreated came to the Customer service again. Its checkpoint could not tell it was handled, but its aggregate could: it already holds an event the service appended with OrderCreated as its cause. The redelivery was discarded. Detecting a duplicate by its cause is Foldlab's rule, not the article's: the article tracks the highest event id seen.",
                    look(Target::Choreography, "The Deliveries list: duplicate discarded. The event store: still one CreditLimitExceeded."),
                    5,
                ),
                "OrderCreated comes again to the Customer service, whose checkpoint did not move. What happens?",
                &["It is discarded: the Customer's stream already holds the effect of that event", "The Customer records a second CreditLimitExceeded"],
                0,
                "The checkpoint cannot tell, but the effect the service stored names that event as its cause, and it survived the crash. Detecting a duplicate that way is Foldlab's rule, not the article's: the article tracks the highest event id seen (Part 2, Benefits and Drawbacks of Event Sourcing).",
            ),
            run(
                "The Order service crashes as well",
                "The Order service cancelled the order and crashed before its checkpoint; when the event came again it found its OrderCancelled in the Order's stream and discarded it. The order ended CANCELLED once, and Ada's $10.00 is all available.",
                look(Target::EventStore, "The event store: CustomerCreated, OrderCreated, CreditLimitExceeded, OrderCancelled, and nothing twice."),
                7,
            ),
        ],
    },
    Lesson {
        id: "late_delivery",
        title: "Why is the customer view behind the command side?",
        group: Group::CqrsLag,
        minutes: 3,
        scenario: include_str!("../../../scenarios/late_delivery.json"),
        steps: &[
            run(
                "The view knows the customer",
                "Ada is created with a $10.00 limit and the customer view applies CustomerCreated: it shows $10.00 available.",
                look(Target::QuerySide, "The customer view: Ada, $10.00 available."),
                2,
            ),
            ask(
                run(
                    "The services run; the view waits",
                    "A $4.00 order is placed, and only the services get their deliveries: the Customer service reserved the credit and the Order service approved the order. The command side says $6.00 is available; the view, whose deliveries are held back, still says $10.00. This is the lag between the command side and the query side views.",
                    look(Target::QuerySide, "The query side says it is lagging; three deliveries wait for the view."),
                    5,
                ),
                "The services get their deliveries; the view's are held back. What will the customer view show for Ada?",
                &[
                    "$6.00 available, like the command side",
                    "$10.00 available: it has not applied the order yet",
                ],
                1,
                "The query side keeps its views up to date by subscribing to events (Part 2, Using CQRS), so a view is only as current as the events it has applied: it lags the command side.",
            ),
            act(
                "Let the view catch up",
                "The view applied the waiting events in order and came to $6.00. A view is eventually consistent: it is right once its deliveries have run.",
                look(Target::QuerySide, "The customer view after each Step."),
                Task::DeliverAll,
            ),
        ],
    },
    Lesson {
        id: "refused_commands",
        title: "What does a refused command store?",
        group: Group::Basics,
        minutes: 3,
        scenario: include_str!("../../../scenarios/refused_commands.json"),
        steps: &[
            run(
                "One customer",
                "Ada is created with a $10.00 limit: CustomerCreated, the one event of this lesson.",
                look(Target::EventStore, "The event store: one row."),
                1,
            ),
            ask(
                run(
                    "Three refused commands",
                    "Creating c1 again and an order of $0.00 were refused by their aggregates: each decided, and its decision was no. The order for a customer \u{201c}ghost\u{201d} was refused earlier, by a lookup through the Customer service's API that found no such customer; no Order was created. Each reason is in plain words, and a refused command stores no event.",
                    look(Target::Lesson, "\u{201c}What ran\u{201d} beside this text: three refusals. The event store: still one row."),
                    4,
                ),
                "Three commands are refused: creating the customer again, an order for a customer that does not exist, an order of $0.00. What does the event store gain?",
                &["Nothing: a refused command stores no event", "One event per refused command, saying why"],
                0,
                "An event usually represents a state change (Part 1, Using Events to Maintain Data Consistency); these commands changed nothing, so nothing was stored.",
            ),
            run(
                "A redelivery that is not one",
                "Delivering event #1 again to the customer view was refused too: the view has not handled #1 yet, and handing it over out of turn would skip events. Then the pending deliveries ran normally.",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: the refused redelivery, then the deliveries."),
                6,
            ),
        ],
    },
    Lesson {
        id: "cancel_an_approved_order",
        title: "How does cancelling an order give its credit back?",
        group: Group::Basics,
        minutes: 4,
        scenario: include_str!("../../../scenarios/cancel_an_approved_order.json"),
        steps: &[
            run(
                "An approved order",
                "Ada ($10.00 limit) places a $7.00 order and it is approved: $3.00 is left.",
                look(Target::QuerySide, "The customer view: $3.00 available."),
                3,
            ),
            ask(
                run(
                    "The user cancels it",
                    "Cancelling is one transaction on the Order: OrderCancelled. The Customer service, told of the cancellation, released the reservation on the Customer (CreditReleased) (Foldlab's rule, not the article's). Two aggregates changed, in two transactions, linked by an event. CreditReleased undoes the reservation: in a saga, a step that undoes an earlier one is called a compensating step.",
                    look(Target::EventStore, "The event store: OrderCancelled, then CreditReleased caused by it."),
                    5,
                ),
                "The user cancels the approved $7.00 order. What gives its credit back?",
                &[
                    "The cancel command changes the Order and the Customer in one transaction",
                    "Nothing: approved credit stays reserved",
                    "The Customer service, reacting to OrderCancelled, stores CreditReleased",
                ],
                2,
                "A transaction creates or updates one aggregate (Part 1, One Transaction Creates or Updates One Aggregate): the Order stores OrderCancelled, and the Customer changes in a transaction of its own. Releasing credit on a cancellation is Foldlab's rule, not the article's.",
            ),
            run(
                "The freed credit is used",
                "A $9.00 order would not have fit before; now it is approved.",
                look(Target::CommandSide, "The command side: o2 APPROVED, $1.00 available."),
                7,
            ),
            run(
                "An order is cancelled once",
                "Cancelling o1 a second time is refused: the order is already CANCELLED, and nothing is stored.",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: the refusal."),
                8,
            ),
        ],
    },
    Lesson {
        id: "ship_an_approved_order",
        title: "When can an order ship?",
        group: Group::Basics,
        minutes: 4,
        scenario: include_str!("../../../scenarios/ship_an_approved_order.json"),
        steps: &[
            run(
                "Shipping too early",
                "Ada ($10.00 limit) places a $7.00 order and tries to ship it at once. It is still NEW, so shipping is refused: only an APPROVED order ships.",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: the refusal."),
                3,
            ),
            run(
                "Approved, then shipped",
                "The choreography approved the order and it shipped (OrderShipped). Its reservation stays on the customer (Foldlab's rule, not the article's): shipping uses the credit rather than freeing it, so $3.00 is still all that is available.",
                look(Target::QuerySide, "The customer view: $3.00 available and o1 SHIPPED."),
                5,
            ),
            run(
                "A shipped order is done",
                "Shipping it again and cancelling it are both refused.",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: two refusals."),
                7,
            ),
            ask(
                run(
                    "No room for a second order",
                    "A $4.00 order does not fit in the $3.00 left, because the shipped order's credit stays used (Foldlab's rule, not the article's): the Customer records CreditLimitExceeded and the Order service cancels the order.",
                    look(Target::CommandSide, "The command side: o2 CANCELLED."),
                    9,
                ),
                "Ada has $3.00 left and places a $4.00 order. What happens to it?",
                &[
                    "It is approved: shipping the first order freed its $7.00",
                    "It is created NEW, then cancelled when the credit check fails",
                    "It is refused at once and never stored",
                ],
                1,
                "Shipping keeps the first order's credit reserved (Foldlab's rule, not the article's), so only $3.00 is free. The order is stored NEW; the Customer records the failed check as CreditLimitExceeded, and the Order service cancels the order (Part 1, Using an Event-Driven Architecture).",
            ),
        ],
    },
    Lesson {
        id: "change_a_limit_and_delete_a_customer",
        title: "What happens when a customer is deleted?",
        group: Group::Basics,
        minutes: 5,
        scenario: include_str!("../../../scenarios/change_a_limit_and_delete_a_customer.json"),
        steps: &[
            run(
                "Credit reserved",
                "Ada ($10.00 limit) has a $6.00 order approved: $6.00 is reserved.",
                look(Target::QuerySide, "The customer view: $4.00 available."),
                3,
            ),
            run(
                "A limit never below what is reserved",
                "Lowering the limit to $5.00 is refused: reserved credit must never exceed the limit (Foldlab's rule, not the article's). Lowering it to exactly $6.00 is accepted (CreditLimitChanged).",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: one refusal, one change."),
                5,
            ),
            ask(
                run(
                    "A deletion is an event",
                    "Deleting Ada stored CustomerDeleted; her stream stays. An order placed for her afterwards is stored, then the Customer service refuses it credit (CreditReservationRefused) and the Order service cancels it, so it still ends. Cancelling her approved order still released its credit. Both are Foldlab's rules, not the article's.",
                    look(Target::EventStore, "The event store: CustomerDeleted, then CreditReservationRefused and CreditReleased."),
                    9,
                ),
                "Ada is deleted, then an order is placed for her. What happens to that order?",
                &["It is stored, then cancelled after CreditReservationRefused", "Placing it is refused: she no longer exists"],
                0,
                "Deleting her stored CustomerDeleted and her stream stays, so the lookup still finds her; the Customer then records CreditReservationRefused and the Order service cancels the order. Both are Foldlab's rules, not the article's.",
            ),
            run(
                "A deleted customer takes no more changes",
                "Changing her limit and deleting her again are both refused.",
                look(Target::Lesson, "\u{201c}What ran\u{201d}: two refusals."),
                11,
            ),
        ],
    },
    Lesson {
        id: "snapshot_fold_over_a_long_history",
        title: "How does a snapshot shorten a long fold?",
        group: Group::Evolution,
        minutes: 3,
        scenario: include_str!("../../../scenarios/snapshot_fold_over_a_long_history.json"),
        steps: &[
            run(
                "A long history",
                "Fifty orders were each approved and then cancelled, so the Customer service reserved and released credit fifty times: Ada's stream holds 101 events. Her state is the fold of all of them. With a snapshot every 10 Customer events, the lab also kept her state as of version 100.",
                look(Target::EventStore, "The event store: hundreds of rows. The command side: Ada, $1,000.00 available."),
                2,
            ),
            ask(
                run(
                    "Loading from the snapshot",
                    "One more order brought Ada to version 102. Loading her now starts from the snapshot at version 100 and folds only the two events after it: the snapshot is the initial value of the fold, and the state is the one the full fold gives.",
                    look(Target::CommandSide, "The command side: $975.00 available, and the customer view agrees."),
                    4,
                ),
                "Ada has a snapshot at version 100 and is now at version 102. How many events does loading her fold?",
                &[
                    "102: every event, as without a snapshot",
                    "2: only the events after the snapshot",
                ],
                1,
                "The application restores an aggregate by loading the most recent snapshot and only the events that occurred since it was created (Part 2, Using Snapshots to Improve Performance).",
            ),
        ],
    },
    Lesson {
        id: "loading_v1_events",
        title: "Can events written by older code still be read?",
        group: Group::Evolution,
        minutes: 4,
        scenario: include_str!("../../../scenarios/loading_v1_events.json"),
        steps: &[
            ask(
                run(
                    "A log from an older Foldlab",
                    "The store starts with twelve events written when OrderCreated stored only a total (schema version 1). Events are stored forever, so they are never rewritten; each v1 order is upcast on read to one line item at its old total.",
                    look(Target::EventStore, "The event store: OrderCreated rows of schema v1 (hover a row for its metadata)."),
                    0,
                ),
                "The store holds OrderCreated events written with schema version 1. How are they read now?",
                &["Upcast on read: the stored rows stay as written", "Rewritten to the new schema in the store"],
                0,
                "Events are stored forever, so a service folds events of several schema versions; each older event is transformed to the latest version when it is loaded (Part 2, Benefits and Drawbacks of Event Sourcing).",
            ),
            run(
                "The choreography goes on",
                "No subscriber had handled these events. Delivered now, the services recognise the reactions they stored before by their causation and discard them (Foldlab's rule, not the article's); the one order still NEW goes through the choreography.",
                look(Target::Choreography, "The Deliveries list: duplicates discarded, then the NEW order decided."),
                1,
            ),
            run(
                "Commands on old orders",
                "A v1 order is shipped, another is cancelled (its credit released), and a new order, stored with the current schema, takes the freed credit.",
                look(Target::CommandSide, "The command side: SHIPPED, CANCELLED and a new APPROVED order."),
                5,
            ),
        ],
    },
    Lesson {
        id: "rebuilding_and_adding_a_projection",
        title: "Can a view added later know the past?",
        group: Group::Why,
        minutes: 5,
        scenario: include_str!("../../../scenarios/rebuilding_and_adding_a_projection.json"),
        steps: &[
            run(
                "Two customers, one order",
                "Ada ($500.00 limit) and Grace ($5,000.00) are created and Ada's $200.00 order is approved.",
                look(Target::QuerySide, "The customer view: both customers."),
                4,
            ),
            ask(
                run(
                    "A view added later",
                    "The low-credit-limit view answers a query an event store does not answer simply or efficiently (customers with a limit under $1,000.00): no stored column holds a credit limit (Part 2, Benefits and Drawbacks of Event Sourcing). It has never run; one catch-up builds it from the whole history, and it lists Ada.",
                    look(Target::Lesson, "\u{201c}Where the lab stands\u{201d}: low-credit-limit at #5."),
                    5,
                ),
                "The low-credit-limit view has never run, and Ada's account is several events old. What does the view list once it catches up?",
                &[
                    "Nobody: it only sees events stored from now on",
                    "Ada: it is built from the whole history",
                ],
                1,
                "Every event is kept, so a view added later is built by folding the whole history (Foldlab's projections catch up from position 0).",
            ),
            run(
                "A paused view falls behind",
                "The customer view is paused while Grace's $1,000.00 order runs through the choreography: the command side approves it, and the view falls behind the event store.",
                look(Target::QuerySide, "The query side: lagging. \u{201c}Where the lab stands\u{201d}: customer-view behind the head."),
                8,
            ),
            run(
                "Rebuilt from position 0",
                "Resumed and rebuilt from position 0, the customer view applies every event again and holds exactly what the events say: a view is only ever the fold of the events up to its checkpoint.",
                look(Target::QuerySide, "The customer view: up to date, $4,000.00 available for Grace."),
                10,
            ),
        ],
    },
];

/// The lesson with this id.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}

/// A lesson's id and title, for a link to it, without the rest of [`LESSONS`] (see
/// [`FIRST_LESSON`]).
#[derive(Clone, Copy, Debug)]
pub struct LessonLink {
    /// The lesson's id.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
}

/// The first lesson, which the start page offers: a constant, so the start page does not carry
/// every lesson's text.
pub const FIRST_LESSON: LessonLink = LessonLink {
    id: LESSONS[0].id,
    title: LESSONS[0].title,
};

/// A lesson whose scenario moves projections itself (pauses, steps, catches up or rebuilds them),
/// and how many scenario steps it has: while it is in progress, the lab's projection runner keeps
/// its hands off. Constants, so that the lab knows them without parsing every scenario, and
/// without every lesson's text in the first download; a test checks them against the scenarios.
#[derive(Debug)]
pub struct DrivesProjections {
    /// The lesson's id.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// How many steps its scenario has.
    pub steps: usize,
}

const fn drives(lesson: usize, steps: usize) -> DrivesProjections {
    DrivesProjections {
        id: LESSONS[lesson].id,
        title: LESSONS[lesson].title,
        steps,
    }
}

/// Every lesson that moves projections itself, in [`LESSONS`] order.
pub const DRIVING_PROJECTIONS: &[DrivesProjections] = &[drives(12, 10)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::{Next, Readout, Walk};
    use crate::scenario::{seed, Scenario};
    use crate::sim::{Deliver, Harness, Step as ScenarioStep};
    use foldlab_domain::{CustomerId, Money, OrderId};
    use foldlab_store::EventStore;
    use futures::executor::block_on;

    #[test]
    fn the_lessons_listed_as_moving_projections_are_those_whose_scenario_does() {
        let found: Vec<(&str, usize)> = LESSONS
            .iter()
            .filter_map(|lesson| {
                let scenario = Scenario::parse(lesson.scenario).ok()?;
                let moves = scenario
                    .steps
                    .iter()
                    .any(|step| matches!(step, crate::step::Step::Projection(_)));
                moves.then_some((lesson.id, scenario.steps.len()))
            })
            .collect();
        let listed: Vec<(&str, usize)> = DRIVING_PROJECTIONS
            .iter()
            .map(|lesson| (lesson.id, lesson.steps))
            .collect();
        assert_eq!(listed, found);
        assert!(DRIVING_PROJECTIONS
            .iter()
            .all(|d| find(d.id).is_some_and(|lesson| lesson.title == d.title)));
    }

    /// Walks a lesson as a learner who answers every question and presses "Do it for me" or
    /// "Run this part" at every step, on a fresh memory store; says where it got stuck.
    async fn walk_through(lesson: &Lesson) -> Result<(), String> {
        let scenario = Scenario::parse(lesson.scenario).map_err(|e| e.to_string())?;
        let harness = Harness::with_snapshots(
            scenario.settings.clock_start_ms,
            scenario.settings.snapshot_every,
        );
        seed(&harness, &scenario.settings.seed_events).await?;
        let engine = harness.engine();
        let mut walk = Walk::default();
        let mut made = 0;
        loop {
            let events = engine
                .store()
                .read_all(0, usize::MAX)
                .await
                .map_err(|e| e.to_string())?;
            let pending = engine.pending().await.map_err(|e| e.to_string())?;
            lesson.advance(
                &mut walk,
                &Readout {
                    events: &events,
                    pending,
                },
            );
            match lesson.next(&walk) {
                Next::Complete => return Ok(()),
                Next::Predict(n) => lesson.answer(&mut walk, n, 0),
                Next::Act(n) => {
                    made += 1;
                    if made > 50 {
                        return Err(format!("step {} never happens", n + 1));
                    }
                    match lesson.steps[n].act {
                        Act::Run(upto) => {
                            for step in &scenario.steps[walk.ran..upto] {
                                harness.apply(step).await.map_err(|v| v.to_string())?;
                            }
                            walk.ran = upto;
                        }
                        Act::Do { task, .. } => match task {
                            Task::CreateCustomer { name, limit_cents } => {
                                engine
                                    .create_customer(
                                        &CustomerId::new(format!("c{made}")),
                                        name,
                                        Money::from_cents(limit_cents),
                                        "k",
                                    )
                                    .await
                                    .map_err(|e| e.to_string())?;
                            }
                            Task::PlaceOrder { total_cents } => {
                                let readout = Readout {
                                    events: &events,
                                    pending,
                                };
                                let customer = readout.newest_customer().ok_or("no customer")?;
                                engine
                                    .place_order(
                                        &OrderId::new(format!("o{made}")),
                                        &CustomerId::new(customer),
                                        Money::from_cents(total_cents),
                                        "k",
                                    )
                                    .await
                                    .map_err(|e| e.to_string())?;
                            }
                            Task::DeliverAll => {
                                harness
                                    .apply(&ScenarioStep::Deliver(Deliver::All))
                                    .await
                                    .map_err(|v| v.to_string())?;
                            }
                        },
                    }
                }
            }
        }
    }

    #[test]
    fn every_lesson_is_well_formed_and_can_be_walked_to_its_last_step() {
        assert_eq!(LESSONS.len(), 13);
        for lesson in LESSONS {
            lesson.check().expect("well formed");
            block_on(walk_through(lesson)).unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
        }
    }

    #[test]
    fn every_group_of_the_path_has_a_lesson_and_every_title_is_a_question() {
        for group in Group::ALL {
            assert!(LESSONS.iter().any(|l| l.group == group), "{group:?}");
        }
        for lesson in LESSONS {
            assert!(lesson.title.ends_with('?'), "{}", lesson.title);
            assert!(lesson.minutes > 0);
        }
    }
}
