//! The guided lessons: each bundled scenario (`scenarios/*.json`, compiled in) with a few steps of
//! text. A step names how many of the scenario's steps have run once it is shown, so Next runs the
//! part between two steps against the lab's own store. Every sentence is written to be true of
//! what the lab then shows, and of the articles the lab teaches (Chris Richardson's two-part InfoQ
//! article); a rule that is Foldlab's own says so. `docs/claims.md` lists each claim and its source.

/// One lesson.
pub struct Lesson {
    /// Its id in the route: the scenario file's name without `.json`.
    pub id: &'static str,
    /// Its title in the list.
    pub title: &'static str,
    /// The scenario file.
    pub scenario: &'static str,
    /// Its steps, after the introduction.
    pub steps: &'static [LessonStep],
}

/// One step of a lesson.
pub struct LessonStep {
    /// A heading.
    pub title: &'static str,
    /// What happened, tied to the pattern.
    pub text: &'static str,
    /// Where to look in the lab.
    pub look: &'static str,
    /// How many of the scenario's steps have run once this step is shown.
    pub run_to: usize,
}

const fn step(
    title: &'static str,
    text: &'static str,
    look: &'static str,
    run_to: usize,
) -> LessonStep {
    LessonStep {
        title,
        text,
        look,
        run_to,
    }
}

/// Every lesson, in the order a course would take them.
pub const LESSONS: &[Lesson] = &[
    Lesson {
        id: "happy_path",
        title: "An order is approved through the choreography",
        scenario: include_str!("../../scenarios/happy_path.json"),
        steps: &[
            step(
                "A customer is created",
                "One command created one aggregate: the Customer c1 (Ada) with a $100.00 credit limit. The aggregate's state is not stored as a row; what is stored is the event CustomerCreated, event #1.",
                "The event store table at the bottom: one row, CustomerCreated of Customer c1.",
                1,
            ),
            step(
                "An order is placed",
                "Placing the order was one transaction on one new aggregate, the Order o1, which stored OrderCreated (#2). Before it, customer c1 was only looked up, through the Customer service's API. Nothing else happened: the order is NEW and no credit is reserved yet, because the Order service may not touch the Customer aggregate.",
                "The Choreography panel: deliveries are waiting. You may press Step there to make them one at a time before you go on; Next makes whatever is left.",
                2,
            ),
            step(
                "The services react to events",
                "The event store handed OrderCreated to the Customer service, which reserved credit on the Customer (CreditReserved, #3); it handed that event to the Order service, which approved the order (OrderApproved, #4). No service called another: each reacted to an event by changing only its own aggregate. This chain of local transactions linked by events is a saga (companion article \u{201c}CQRS + Event Sourcing \u{2014} microservice patterns\u{201d}, Eventual Consistency & Distributed Transactions).",
                "The Deliveries list (one sentence each) and the customer view: $60.00 available.",
                3,
            ),
        ],
    },
    Lesson {
        id: "credit_limit_exceeded",
        title: "An order over the credit limit is cancelled",
        scenario: include_str!("../../scenarios/credit_limit_exceeded.json"),
        steps: &[
            step(
                "Two orders, both NEW",
                "Ada has a $10.00 limit. Two orders are placed: o1 for $7.00 and o2 for $4.00. Each alone would fit; together they would not. Both are stored, because each is its own aggregate and placing one does not check credit.",
                "The command side: two NEW orders. The Choreography panel: deliveries waiting.",
                3,
            ),
            step(
                "One reserved, one exceeded",
                "The Customer service reserved $7.00 for o1. For o2 only $3.00 was left, so the Customer aggregate recorded CreditLimitExceeded: an event that records the refused attempt, not a change of its state. The Order service reacted by approving o1 and cancelling o2.",
                "The event store: CreditReserved, CreditLimitExceeded, OrderApproved, OrderCancelled. The customer view: $3.00 available.",
                4,
            ),
        ],
    },
    Lesson {
        id: "racing_for_the_last_credit",
        title: "Two orders race for the last credit",
        scenario: include_str!("../../scenarios/racing_for_the_last_credit.json"),
        steps: &[
            step(
                "Two orders at the same moment",
                "Ada has a $10.00 limit. Orders of $7.00 and $6.00 are placed at the same time. They are two different aggregates, so both are stored without any conflict; neither could check the other.",
                "The event store: two OrderCreated events, in whichever order the store took them.",
                2,
            ),
            step(
                "The Customer aggregate decides one at a time",
                "Both reservations go through one aggregate, the Customer, and each is decided against the state the previous one left. Whichever order's event came first got its credit; the other no longer fit and the Customer recorded CreditLimitExceeded. Meanwhile a third order, for $3.00, was placed while the Customer service and the view were busy.",
                "The Deliveries list: one CreditReserved and one CreditLimitExceeded.",
                3,
            ),
            step(
                "Everything delivered",
                "The Order service approved each order that got credit and cancelled the one that did not. The small third order still fit. Reserved credit never went over the limit, because one aggregate enforced it in one transaction at a time.",
                "The command side: two APPROVED orders and one CANCELLED; the customer view agrees.",
                4,
            ),
        ],
    },
    Lesson {
        id: "duplicate_delivery",
        title: "Every handler discards an event delivered twice",
        scenario: include_str!("../../scenarios/duplicate_delivery.json"),
        steps: &[
            step(
                "An approved order",
                "Ada ($10.00 limit) places a $7.00 order and the choreography approves it. Each subscriber's checkpoint now holds the highest event id it has handled.",
                "The Checkpoints list in the Choreography panel.",
                3,
            ),
            step(
                "The services get events again",
                "A message broker usually delivers at least once, so an event can come twice. OrderCreated #2 came again to the Customer service and CreditReserved #3 to the Order service. Reserving credit and deciding an order are not idempotent, so each handler must detect duplicates (Part 2, Benefits and Drawbacks of Event Sourcing). Each compared the event id with the highest it had seen and discarded it: no credit reserved twice, no order decided twice.",
                "The Deliveries list: duplicate discarded, twice. The event store has no new rows.",
                5,
            ),
            step(
                "The view gets events again",
                "The customer view tracks the highest event id it has applied as well, so #3 and #1, delivered to it again, were discarded too. Its available credit stays at $3.00.",
                "The customer view: $3.00 available, as before.",
                7,
            ),
        ],
    },
    Lesson {
        id: "crash_before_checkpoint",
        title: "A crash between the effect and the checkpoint",
        scenario: include_str!("../../scenarios/crash_before_checkpoint.json"),
        steps: &[
            step(
                "An order too large",
                "Ada has a $10.00 limit and places a $15.00 order, which is NEW.",
                "The command side: one NEW order.",
                2,
            ),
            step(
                "The Customer service crashes",
                "The Customer service handled OrderCreated: it stored its effect (CreditLimitExceeded) and then stopped before saving its checkpoint. It restarts from the checkpoint it had, so OrderCreated will be delivered again.",
                "The Deliveries list: crashed before its checkpoint. The Checkpoints list: the Customer service has not moved.",
                3,
            ),
            step(
                "The redelivery is recognised by its effect",
                "The view crashed too; it keeps its document in its checkpoint, so it lost both and will simply apply the event again. Then OrderCreated came to the Customer service again. Its checkpoint could not tell it was handled, but its aggregate could: it already holds an event the service appended with OrderCreated as its cause. The redelivery was discarded. Detecting a duplicate by its cause is Foldlab's rule, not the article's: the article tracks the highest event id seen.",
                "The Deliveries list: duplicate discarded. The event store: still one CreditLimitExceeded.",
                5,
            ),
            step(
                "The Order service crashes as well",
                "The Order service cancelled the order and crashed before its checkpoint; when the event came again it found its OrderCancelled in the Order's stream and discarded it. The order ended CANCELLED once, and Ada's $10.00 is all available.",
                "The event store: CustomerCreated, OrderCreated, CreditLimitExceeded, OrderCancelled, and nothing twice.",
                7,
            ),
        ],
    },
    Lesson {
        id: "late_delivery",
        title: "The query side lags the command side",
        scenario: include_str!("../../scenarios/late_delivery.json"),
        steps: &[
            step(
                "The view knows the customer",
                "Ada is created with a $10.00 limit and the customer view applies CustomerCreated: it shows $10.00 available.",
                "The customer view: Ada, $10.00 available.",
                2,
            ),
            step(
                "The services run; the view waits",
                "A $4.00 order is placed, and only the services get their deliveries: the Customer service reserved the credit and the Order service approved the order. The command side says $6.00 is available; the view, whose deliveries are held back, still says $10.00. This is the lag between the command side and the query side views.",
                "The query side says it is lagging; three deliveries wait for the view.",
                5,
            ),
            step(
                "Let the view catch up",
                "Press Step in the Choreography panel, once per event, or Run to end: the view applies the waiting events in order and comes to $6.00. A view is eventually consistent: it is right once its deliveries have run.",
                "The customer view after each Step.",
                5,
            ),
        ],
    },
    Lesson {
        id: "refused_commands",
        title: "Refused commands store nothing",
        scenario: include_str!("../../scenarios/refused_commands.json"),
        steps: &[
            step(
                "One customer",
                "Ada is created with a $10.00 limit: CustomerCreated, the one event of this lesson.",
                "The event store: one row.",
                1,
            ),
            step(
                "Three refused commands",
                "Creating c1 again and an order of $0.00 were refused by their aggregates: each decided, and its decision was no. The order for a customer \u{201c}ghost\u{201d} was refused earlier, by a lookup through the Customer service's API that found no such customer; no Order was created. Each reason is in plain words, and a refused command stores no event.",
                "\u{201c}What ran\u{201d} beside this text: three refusals. The event store: still one row.",
                4,
            ),
            step(
                "A redelivery that is not one",
                "Delivering event #1 again to the customer view was refused too: the view has not handled #1 yet, and handing it over out of turn would skip events. Then the pending deliveries ran normally.",
                "\u{201c}What ran\u{201d}: the refused redelivery, then the deliveries.",
                6,
            ),
        ],
    },
    Lesson {
        id: "cancel_an_approved_order",
        title: "Cancelling an approved order releases its credit",
        scenario: include_str!("../../scenarios/cancel_an_approved_order.json"),
        steps: &[
            step(
                "An approved order",
                "Ada ($10.00 limit) places a $7.00 order and it is approved: $3.00 is left.",
                "The customer view: $3.00 available.",
                3,
            ),
            step(
                "The user cancels it",
                "Cancelling is one transaction on the Order: OrderCancelled. The Customer service, told of the cancellation, released the reservation on the Customer (CreditReleased) (Foldlab's rule, not the article's). Two aggregates changed, in two transactions, linked by an event. CreditReleased undoes the reservation: in a saga, a step that undoes an earlier one is called a compensating step.",
                "The event store: OrderCancelled, then CreditReleased caused by it.",
                5,
            ),
            step(
                "The freed credit is used",
                "A $9.00 order would not have fit before; now it is approved.",
                "The command side: o2 APPROVED, $1.00 available.",
                7,
            ),
            step(
                "An order is cancelled once",
                "Cancelling o1 a second time is refused: the order is already CANCELLED, and nothing is stored.",
                "\u{201c}What ran\u{201d}: the refusal.",
                8,
            ),
        ],
    },
    Lesson {
        id: "ship_an_approved_order",
        title: "Only an approved order ships",
        scenario: include_str!("../../scenarios/ship_an_approved_order.json"),
        steps: &[
            step(
                "Shipping too early",
                "Ada ($10.00 limit) places a $7.00 order and tries to ship it at once. It is still NEW, so shipping is refused: only an APPROVED order ships.",
                "\u{201c}What ran\u{201d}: the refusal.",
                3,
            ),
            step(
                "Approved, then shipped",
                "The choreography approved the order and it shipped (OrderShipped). Its reservation stays on the customer (Foldlab's rule, not the article's): shipping uses the credit rather than freeing it, so $3.00 is still all that is available.",
                "The customer view: $3.00 available and o1 SHIPPED.",
                5,
            ),
            step(
                "A shipped order is done",
                "Shipping it again and cancelling it are both refused.",
                "\u{201c}What ran\u{201d}: two refusals.",
                7,
            ),
            step(
                "No room for a second order",
                "A $4.00 order does not fit in the $3.00 left, because the shipped order's credit stays used (Foldlab's rule, not the article's): the Customer records CreditLimitExceeded and the Order service cancels the order.",
                "The command side: o2 CANCELLED.",
                9,
            ),
        ],
    },
    Lesson {
        id: "change_a_limit_and_delete_a_customer",
        title: "Credit limits and deleted customers",
        scenario: include_str!("../../scenarios/change_a_limit_and_delete_a_customer.json"),
        steps: &[
            step(
                "Credit reserved",
                "Ada ($10.00 limit) has a $6.00 order approved: $6.00 is reserved.",
                "The customer view: $4.00 available.",
                3,
            ),
            step(
                "A limit never below what is reserved",
                "Lowering the limit to $5.00 is refused: reserved credit must never exceed the limit (Foldlab's rule, not the article's). Lowering it to exactly $6.00 is accepted (CreditLimitChanged).",
                "\u{201c}What ran\u{201d}: one refusal, one change.",
                5,
            ),
            step(
                "A deletion is an event",
                "Deleting Ada stored CustomerDeleted; her stream stays. An order placed for her afterwards is stored, then the Customer service refuses it credit (CreditReservationRefused) and the Order service cancels it, so it still ends. Cancelling her approved order still released its credit. Both are Foldlab's rules, not the article's.",
                "The event store: CustomerDeleted, then CreditReservationRefused and CreditReleased.",
                9,
            ),
            step(
                "A deleted customer takes no more changes",
                "Changing her limit and deleting her again are both refused.",
                "\u{201c}What ran\u{201d}: two refusals.",
                11,
            ),
        ],
    },
    Lesson {
        id: "snapshot_fold_over_a_long_history",
        title: "A snapshot shortens the fold",
        scenario: include_str!("../../scenarios/snapshot_fold_over_a_long_history.json"),
        steps: &[
            step(
                "A long history",
                "Fifty orders were each approved and then cancelled, so the Customer service reserved and released credit fifty times: Ada's stream holds 101 events. Her state is the fold of all of them. With a snapshot every 10 Customer events, the lab also kept her state as of version 100.",
                "The event store: hundreds of rows. The command side: Ada, $1,000.00 available.",
                2,
            ),
            step(
                "Loading from the snapshot",
                "One more order brought Ada to version 102. Loading her now starts from the snapshot at version 100 and folds only the two events after it: the snapshot is the initial value of the fold, and the state is the one the full fold gives.",
                "The command side: $975.00 available, and the customer view agrees.",
                4,
            ),
        ],
    },
    Lesson {
        id: "loading_v1_events",
        title: "Events stored by an older version",
        scenario: include_str!("../../scenarios/loading_v1_events.json"),
        steps: &[
            step(
                "A log from an older Foldlab",
                "The store starts with twelve events written when OrderCreated stored only a total (schema version 1). Events are stored forever, so they are never rewritten; each v1 order is upcast on read to one line item at its old total.",
                "The event store: OrderCreated rows of schema v1 (hover a row for its metadata).",
                0,
            ),
            step(
                "The choreography goes on",
                "No subscriber had handled these events. Delivered now, the services recognise the reactions they stored before by their causation and discard them (Foldlab's rule, not the article's); the one order still NEW goes through the choreography.",
                "The Deliveries list: duplicates discarded, then the NEW order decided.",
                1,
            ),
            step(
                "Commands on old orders",
                "A v1 order is shipped, another is cancelled (its credit released), and a new order, stored with the current schema, takes the freed credit.",
                "The command side: SHIPPED, CANCELLED and a new APPROVED order.",
                5,
            ),
        ],
    },
    Lesson {
        id: "rebuilding_and_adding_a_projection",
        title: "Rebuilding and adding a view",
        scenario: include_str!("../../scenarios/rebuilding_and_adding_a_projection.json"),
        steps: &[
            step(
                "Two customers, one order",
                "Ada ($500.00 limit) and Grace ($5,000.00) are created and Ada's $200.00 order is approved.",
                "The customer view: both customers.",
                4,
            ),
            step(
                "A view added later",
                "The low-credit-limit view answers a query an event store does not answer simply or efficiently (customers with a limit under $1,000.00): no stored column holds a credit limit (Part 2, Benefits and Drawbacks of Event Sourcing). It has never run; one catch-up builds it from the whole history, and it lists Ada.",
                "\u{201c}Where the lab stands\u{201d}: low-credit-limit at #5.",
                5,
            ),
            step(
                "A paused view falls behind",
                "The customer view is paused while Grace's $1,000.00 order runs through the choreography: the command side approves it, and the view falls behind the event store.",
                "The query side: lagging. \u{201c}Where the lab stands\u{201d}: customer-view behind the head.",
                8,
            ),
            step(
                "Rebuilt from position 0",
                "Resumed and rebuilt from position 0, the customer view applies every event again and holds exactly what the events say: a view is only ever the fold of the events up to its checkpoint.",
                "The customer view: up to date, $4,000.00 available for Grace.",
                10,
            ),
        ],
    },
];

/// The lesson with this id.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}
