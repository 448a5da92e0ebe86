//! Faults on demand: each breaks the lab's real store in one way and says, in plain sentences, what
//! happened and which mechanism kept the data right. Every delivery made here goes through the
//! journal like any other.

use super::{checkpoints, short_id, Happened, Lab, LabEngine, LabStore, STORE_NAME};
use foldlab_domain::codec::{decode, DomainEvent, StoredEvent};
use foldlab_domain::order::OrderEvent;
use foldlab_domain::{CustomerId, EventEnvelope, Metadata, Money, NewEvent, OrderId};
use foldlab_engine::deliver_at_once;
use foldlab_engine::{Engine, EngineError, Outcome, OutcomeKind, StepReport, Subscriber};
use foldlab_lab::counterfactual::newest_order_created;
use foldlab_lab::lesson::Prediction;
use foldlab_store::{EventStore, ExpectedVersion, OpenOptions, StoreError, StreamId};
use gloo_storage::{LocalStorage, Storage};

/// The localStorage key that, when set, makes the next page load skip IndexedDB. Outside the
/// store's own `foldlab/` keys, so resetting the lab does not forget it.
const SKIP_IDB_KEY: &str = "foldlab-skip-indexeddb";

/// How many deliveries a catch-up makes at most.
const CATCH_UP_LIMIT: usize = 10_000;

/// Whether IndexedDB is switched off for the next page load.
pub fn indexed_db_skipped() -> bool {
    LocalStorage::raw()
        .get_item(SKIP_IDB_KEY)
        .ok()
        .flatten()
        .is_some()
}

/// Switches IndexedDB off (or back on) for the next page load, and reloads the page.
pub fn set_indexed_db_skipped(skip: bool) -> Result<(), String> {
    let storage = LocalStorage::raw();
    let saved = if skip {
        storage.set_item(SKIP_IDB_KEY, "1")
    } else {
        storage.remove_item(SKIP_IDB_KEY)
    };
    saved.map_err(|_| "The setting could not be saved in localStorage.".to_string())?;
    web_sys::window()
        .ok_or("There is no window to reload.")?
        .location()
        .reload()
        .map_err(|_| "The page could not be reloaded; reload it yourself.".to_string())
}

/// How the lab opens its store: IndexedDB unless the Faults page switched it off.
pub(super) fn open_options() -> OpenOptions {
    OpenOptions {
        skip_indexed_db: indexed_db_skipped()
            .then(|| "it was turned off on the Faults page".to_string()),
    }
}

/// What a fault did, told for people.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultReport {
    /// What happened, in order.
    pub happened: Vec<String>,
    /// The mechanism that survived it.
    pub survived: String,
    /// For old-schema events: the row as stored, and what the fold sees.
    pub compare: Option<Compare>,
}

/// A stored v1 row beside the event the fold sees after upcasting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compare {
    /// The stored row: `schema_version` and `event_data` as written.
    pub stored_schema: u32,
    /// The stored JSON.
    pub stored: String,
    /// The schema the fold sees.
    pub folded_schema: u32,
    /// The JSON of the event the fold sees.
    pub folded: String,
    /// The order as folded.
    pub order: String,
}

fn failed(error: EngineError) -> String {
    error.to_string()
}

fn event_name(e: &EventEnvelope) -> String {
    format!("{} #{}", e.event_type, e.event_id)
}

impl Lab {
    /// Delivers everything waiting for `subscriber`, logging each delivery.
    async fn catch_up(&self, engine: &LabEngine, subscriber: Subscriber) -> Result<usize, String> {
        let mut made = 0;
        while made < CATCH_UP_LIMIT {
            match engine.step_for(subscriber).await.map_err(failed)? {
                Some(report) => {
                    self.log(engine, &report).await;
                    made += 1;
                }
                None => break,
            }
        }
        Ok(made)
    }

    /// Creates a customer for a fault, logged like the user's command.
    async fn fault_customer(
        &self,
        engine: &LabEngine,
        name: &str,
        limit_cents: i64,
    ) -> Result<CustomerId, String> {
        let id = CustomerId::new(short_id("c"));
        let stored = engine
            .create_customer(&id, name, Money::from_cents(limit_cents), &short_id("k"))
            .await
            .map_err(failed)?;
        self.log_command(engine, &stored).await;
        Ok(id)
    }

    /// Places an order for a fault, logged like the user's command: its OrderCreated.
    async fn fault_order(
        &self,
        engine: &LabEngine,
        customer: &CustomerId,
        total_cents: i64,
    ) -> Result<EventEnvelope, String> {
        let id = OrderId::new(short_id("o"));
        let stored = engine
            .place_order(
                &id,
                customer,
                Money::from_cents(total_cents),
                &short_id("k"),
            )
            .await
            .map_err(failed)?;
        self.log_command(engine, &stored).await;
        stored
            .into_iter()
            .next()
            .ok_or_else(|| "The order stored no event.".to_string())
    }

    /// Delivers an event the Customer service has already handled once more.
    pub async fn fault_deliver_twice(&self) -> Result<FaultReport, String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            let mut happened = Vec::new();
            let subscriber = Subscriber::CustomerService;
            let mut handled = lab.last_handled(&engine, subscriber).await?;
            if handled.is_none() {
                let customer = lab.fault_customer(&engine, "Dup Customer", 100_000).await?;
                lab.fault_order(&engine, &customer, 25_000).await?;
                lab.catch_up(&engine, subscriber).await?;
                happened.push(format!(
                    "The Customer service had handled no order yet, so a customer and a $250.00 order were created (customer {customer}) and the Customer service handled the order once."
                ));
                handled = lab.last_handled(&engine, subscriber).await?;
            }
            let (event, position) =
                handled.ok_or("The Customer service has handled no event to deliver again.")?;
            let report = engine
                .deliver_again(subscriber, event.event_id)
                .await
                .map_err(failed)?;
            lab.log(&engine, &report).await;
            happened.push(format!(
                "{} ({} {}) had already been handled by the Customer service; its checkpoint is at #{position}.",
                event_name(&event), event.entity_type, event.entity_id
            ));
            happened.push(
                "It was delivered to the Customer service a second time, as an at-least-once broker may do."
                    .to_string(),
            );
            happened.push(match &report.outcome {
                Outcome::DuplicateDiscarded(_) => format!(
                    "Outcome: duplicate discarded. #{} is not above the checkpoint #{position}, so the handler did nothing: no credit was reserved twice and no event was appended.",
                    event.event_id
                ),
                other => format!("Outcome: {} (not a discarded duplicate).", other.kind().label()),
            });
            Ok(FaultReport {
                happened,
                survived: "The checkpoint. Each event has a monotonically increasing event_id, and the Customer service tracks the highest event_id it has handled (its checkpoint); an event at or below it is a duplicate and is discarded. Reserving credit is not idempotent: done twice, it would reserve twice. The article says such a handler must detect and discard duplicates, and can do it by tracking the highest event id it has seen (Part 2, Benefits and Drawbacks of Event Sourcing).".to_string(),
                compare: None,
            })
        })
        .await
    }

    /// The newest OrderCreated `subscriber` has handled, with its checkpoint.
    async fn last_handled(
        &self,
        engine: &LabEngine,
        subscriber: Subscriber,
    ) -> Result<Option<(EventEnvelope, u64)>, String> {
        let position = engine
            .positions()
            .await
            .map_err(failed)?
            .into_iter()
            .find(|(s, _)| *s == subscriber)
            .map_or(0, |(_, p)| p);
        // Most often the event is just below the checkpoint; read the whole prefix only if not.
        // The newest OrderCreated: an OrderCancelled reserves nothing, so it could show no
        // credit reserved twice.
        let store = engine.store();
        let near = store
            .read_all(position.saturating_sub(256), 256)
            .await
            .map_err(|e| crate::lab::said(&e))?;
        let found = match newest_order_created(&near, position) {
            Some(found) => Some(found.clone()),
            None => {
                let all = store
                    .read_all(0, position as usize)
                    .await
                    .map_err(|e| crate::lab::said(&e))?;
                newest_order_created(&all, position).cloned()
            }
        };
        Ok(found.map(|e| (e, position)))
    }

    /// The Customer service crashes after appending its effect and before saving its checkpoint.
    pub async fn fault_crash_before_checkpoint(&self) -> Result<FaultReport, String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            let subscriber = Subscriber::CustomerService;
            let mut happened = Vec::new();
            let earlier = lab.catch_up(&engine, subscriber).await?;
            if earlier > 0 {
                happened.push(format!(
                    "First the Customer service was caught up ({earlier} waiting deliveries), so the next event it receives is the new order."
                ));
            }
            let customer = lab.fault_customer(&engine, "Crash Customer", 100_000).await?;
            let order = lab.fault_order(&engine, &customer, 10_000).await?;
            happened.push(format!(
                "A $100.00 order was placed for Customer {customer} (limit $1,000.00): {}.",
                event_name(&order)
            ));
            engine.store().faults().crash_before_next_checkpoint(subscriber.name());
            let crashed = engine.step_for(subscriber).await;
            engine.store().faults().disarm_crash(subscriber.name());
            match crashed {
                Err(EngineError::Store(StoreError::Crashed { .. })) => {}
                Err(other) => return Err(failed(other)),
                Ok(_) => return Err("The crash did not happen: the Customer service saved its checkpoint.".to_string()),
            }
            let effects: Vec<EventEnvelope> = engine
                .store()
                .read_stream(&StreamId::new("Customer", customer.as_str()), 0)
                .await
                .map_err(|e| crate::lab::said(&e))?
                .into_iter()
                .filter(|e| e.metadata.causation_id == Some(order.event_id))
                .collect();
            let effect = effects.first().ok_or("The Customer service stored no effect before the crash.")?;
            let (_, positions) = checkpoints(&engine).await.map_err(failed)?;
            let after_crash = positions
                .iter()
                .find(|(n, _)| n == subscriber.name())
                .map_or(0, |(_, p)| *p);
            lab.record(
                &engine,
                subscriber.name(),
                subscriber.label(),
                &order,
                effects.iter().map(|e| e.event_id).collect(),
                Happened::Delivered(OutcomeKind::Crashed),
                format!(
                    "The Customer service handled {} and stored {}, then crashed before saving its checkpoint: the checkpoint stayed at #{after_crash}, so the event will be delivered again.",
                    event_name(&order), event_name(effect)
                ),
            )
            .await;
            happened.push(format!(
                "The Customer service handled it and appended {} to Customer {customer}, with causation_id #{}.",
                event_name(effect), order.event_id
            ));
            happened.push(format!(
                "Then it crashed before saving its checkpoint, which stayed at #{after_crash}. To the event store, #{} was never handled.",
                order.event_id
            ));
            let again = engine
                .step_for(subscriber)
                .await
                .map_err(failed)?
                .ok_or("Nothing was delivered again.")?;
            lab.log(&engine, &again).await;
            happened.push(format!(
                "So {} was delivered again. The service found {} caused by #{} in Customer {customer}'s stream, and did not reserve again. Outcome: {}.",
                event_name(&again.delivery.event),
                event_name(effect),
                order.event_id,
                again.outcome.kind().label()
            ));
            let now = position_of(&engine, subscriber).await?;
            happened.push(format!(
                "Its checkpoint moved to #{now}; the $100.00 is reserved once."
            ));
            Ok(FaultReport {
                happened,
                survived: "The effect records its cause. The checkpoint could not be trusted here (the crash came before it), but every event a service appends carries the causation_id of the event it handled, in the aggregate's own stream, stored in the same append as the effect. That record survived the crash, so the redelivered event was recognised and discarded. Reserving credit is not idempotent, so the article says the handler must detect duplicates (Part 2, Benefits and Drawbacks of Event Sourcing). Detecting them by the causation_id stored with the effect is Foldlab's rule, not the article's: the article tracks the highest event id seen, which is the checkpoint that the crash lost.".to_string(),
                compare: None,
            })
        })
        .await
    }

    /// Two orders race for one customer's last credit through two engines over two handles.
    pub async fn fault_race_for_credit(&self) -> Result<FaultReport, String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            let subscriber = Subscriber::CustomerService;
            let mut happened = Vec::new();
            // The second instance's own connection, opened first: without one there is no race.
            let other: LabStore = engine.store().sharing(
                engine
                    .store()
                    .inner()
                    .open_again(STORE_NAME)
                    .await
                    .map_err(|e| format!("A second handle on the store could not be opened: {e}"))?,
            );
            let twin = Engine::new(other, Box::new(|| js_sys::Date::now() as i64));
            let earlier = lab.catch_up(&engine, subscriber).await?;
            if earlier > 0 {
                happened.push(format!(
                    "First the Customer service was caught up ({earlier} waiting deliveries), so both racers start from the same checkpoint."
                ));
            }
            let customer = lab.fault_customer(&engine, "Race Customer", 10_000).await?;
            let first = lab.fault_order(&engine, &customer, 6_000).await?;
            let second = lab.fault_order(&engine, &customer, 6_000).await?;
            happened.push(format!(
                "Customer {customer} has a $100.00 credit limit. Two $60.00 orders were placed: {} on Order {} and {} on Order {}. Only one fits.",
                event_name(&first), first.entity_id, event_name(&second), second.entity_id
            ));
            engine
                .store()
                .faults()
                .race_next_appends(StreamId::new("Customer", customer.as_str()), 2);
            let to_service = |event: &EventEnvelope| foldlab_engine::Delivery {
                subscriber,
                event: event.clone(),
            };
            let (b, a) = deliver_at_once(
                (&twin, &to_service(&second)),
                (&engine, &to_service(&first)),
            )
            .await;
            engine.store().faults().open_gate();
            let (a, b) = (a.map_err(failed)?, b.map_err(failed)?);
            lab.log(&engine, &a).await;
            lab.log(&engine, &b).await;
            happened.push(format!(
                "Two instances of the Customer service, each with its own engine and its own connection to the store, handled #{} and #{} at the same time. Both decided to reserve $60.00 against Customer {customer} at the same version.",
                first.event_id, second.event_id
            ));
            for report in [&a, &b] {
                happened.push(race_sentence(report));
            }
            let position = position_of(&engine, subscriber).await?;
            if position < second.event_id {
                // The two checkpoint saves crossed; the later event comes again and is recognised.
                let redelivered = lab.catch_up(&engine, subscriber).await?;
                happened.push(format!(
                    "The two checkpoint saves crossed, so the Customer service's checkpoint was at #{position}; {redelivered} delivery came again and was discarded as a duplicate."
                ));
            }
            lab.catch_up(&engine, Subscriber::OrderService).await?;
            let model = foldlab_domain::WriteModel::from_log(
                &engine.store().read_all(0, usize::MAX).await.map_err(|e| crate::lab::said(&e))?,
            );
            let status = |id: &str| {
                model
                    .orders
                    .get(&OrderId::new(id))
                    .and_then(|o| o.order())
                    .map_or("unknown".to_string(), |o| o.status.to_string())
            };
            let reserved = model
                .customers
                .get(&customer)
                .and_then(|c| c.customer())
                .map_or(Money::from_cents(0), |c| c.reserved());
            happened.push(format!(
                "The Order service then acted on both replies: Order {} is {}, Order {} is {}. Customer {customer} has {reserved} reserved: exactly one reservation won.",
                first.entity_id, status(&first.entity_id), second.entity_id, status(&second.entity_id)
            ));
            Ok(FaultReport {
                happened,
                survived: "Optimistic concurrency on one aggregate. Each transaction creates or updates a single aggregate (Part 1, One Transaction Creates or Updates One Aggregate); Foldlab's event store makes that transaction an append that names the version it was decided against, and refuses it if the stream has moved on. The loser reloaded the Customer, decided again against the new state, and the credit limit held.".to_string(),
                compare: None,
            })
        })
        .await
    }

    /// Appends an OrderCreated written with schema version 1 and shows it upcast on load.
    pub async fn fault_old_schema(&self) -> Result<FaultReport, String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            let customer = lab.fault_customer(&engine, "V1 Customer", 50_000).await?;
            let order = OrderId::new(short_id("o"));
            let data = serde_json::json!({
                "customer_id": customer.as_str(),
                "order_total_cents": 12_500,
            })
            .to_string();
            let stored = engine
                .store()
                .append(
                    &StreamId::new("Order", order.as_str()),
                    ExpectedVersion::NoStream,
                    vec![NewEvent {
                        event_type: "OrderCreated".to_string(),
                        schema_version: 1,
                        event_data: data,
                        recorded_at: js_sys::Date::now() as i64,
                        metadata: Metadata {
                            actor: super::USER.to_string(),
                            correlation_id: short_id("k"),
                            causation_id: None,
                        },
                    }],
                )
                .await
                .map_err(|e| crate::lab::said(&e))?;
            let row = stored.first().ok_or("Nothing was stored.")?;
            lab.record(
                &engine,
                super::USER,
                "You (an old-schema row)",
                row,
                vec![row.event_id],
                Happened::Command,
                format!(
                    "You loaded {} into the store as an older Foldlab wrote it: schema version 1, a total and no line items.",
                    event_name(row)
                ),
            )
            .await;
            // Read it back as any load does: the raw row, then the event the fold sees.
            let back = engine
                .store()
                .read_stream(&StreamId::new("Order", order.as_str()), 0)
                .await
                .map_err(|e| crate::lab::said(&e))?;
            let raw = back.first().ok_or("The stored row could not be read back.")?;
            let folded = match decode(raw).map_err(|e| e.to_string())? {
                StoredEvent::Order(_, event @ OrderEvent::Created(_)) => event,
                _ => return Err("The row did not decode to an OrderCreated.".to_string()),
            };
            let state = engine.load_order(&order).await.map_err(failed)?;
            let placed = state.order().ok_or("The order did not fold to an order.")?;
            let lines: Vec<String> = placed
                .line_items
                .iter()
                .map(|l| format!("{} × {} at {}", l.quantity, l.product_id, l.unit_price))
                .collect();
            let order_text = format!(
                "Order {order}: {}, total {}, line items: {}",
                placed.status,
                placed.total,
                lines.join("; ")
            );
            Ok(FaultReport {
                happened: vec![
                    format!("Customer {customer} was created, then {} was appended to Order {order} exactly as Foldlab's first schema wrote it: schema_version 1, only order_total_cents.", event_name(raw)),
                    format!("Read back, the stored row is unchanged: schema_version {}.", raw.schema_version),
                    format!("On load it went through the OrderCreated v1 → v2 upcaster: the total became one line item, so the fold saw schema version {} and built the order: {order_text}.", folded.schema_version()),
                    format!("{} now waits for the Customer service like any other OrderCreated; step on the Lab page to see its credit reserved.", event_name(raw)),
                ],
                survived: "Upcasting on read. Every event is stored with its type and schema version and never rewritten; when a service loads it, the event is transformed to the latest version of the schema, so the deciders, the fold and the views only fold the latest version (Part 2, Benefits and Drawbacks of Event Sourcing).".to_string(),
                compare: Some(Compare {
                    stored_schema: raw.schema_version,
                    stored: pretty(&raw.event_data),
                    folded_schema: folded.schema_version(),
                    folded: pretty(&folded.event_data()),
                    order: order_text,
                }),
            })
        })
        .await
    }
}

/// One racer's delivery in a sentence: its conflicts and what it stored.
fn race_sentence(report: &StepReport) -> String {
    let event = &report.delivery.event;
    let mut sentence = String::new();
    for conflict in &report.conflicts {
        sentence.push_str(&format!(
            "The append for #{} expected {} of {} but found version {}: a concurrency conflict, nothing stored. Its handler reloaded the Customer and decided again. ",
            event.event_id, conflict.expected, conflict.stream, conflict.actual
        ));
    }
    match &report.outcome {
        Outcome::Appended(stored) | Outcome::RefusalRecorded(stored) => {
            let names: Vec<String> = stored.iter().map(event_name).collect();
            let verdict = if stored.iter().any(|e| e.event_type == "CreditLimitExceeded") {
                "the credit left is not enough, so the order is refused"
            } else {
                "the credit is reserved"
            };
            sentence.push_str(&format!(
                "#{} stored {} ({verdict}){}.",
                event.event_id,
                names.join(", "),
                if report.conflicts.is_empty() {
                    ", first try"
                } else {
                    ""
                }
            ));
        }
        other => sentence.push_str(&format!("#{}: {}.", event.event_id, other.kind().label())),
    }
    sentence
}

async fn position_of(engine: &LabEngine, subscriber: Subscriber) -> Result<u64, String> {
    Ok(engine
        .positions()
        .await
        .map_err(failed)?
        .into_iter()
        .find(|(s, _)| *s == subscriber)
        .map_or(0, |(_, p)| p))
}

/// JSON text indented for reading; the text itself if it is not JSON.
pub fn pretty(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => foldlab_lab::json::to_pretty(&value).unwrap_or_else(|_| json.to_string()),
        Err(_) => json.to_string(),
    }
}

/// The question the Faults page asks before delivering an event twice.
pub const TWICE: Prediction = Prediction {
    question: "An OrderCreated the Customer service has handled comes to it again. What happens?",
    choices: &[
        "It is discarded as a duplicate: no credit is reserved twice",
        "The credit is reserved a second time",
        "The delivery fails with an error",
    ],
    right: 0,
    why: "Its checkpoint holds the highest event id it has handled, and this one is not above it. Handlers that are not idempotent must detect and discard duplicates (Part 2, Benefits and Drawbacks of Event Sourcing).",
};

/// The question asked before the crash.
pub const CRASH: Prediction = Prediction {
    question: "The Customer service stores its effect, then crashes before its checkpoint. The event comes again. What happens?",
    choices: &[
        "The credit is reserved twice",
        "It is discarded: the stored effect names that event as its cause",
    ],
    right: 1,
    why: "The checkpoint could not tell, but the effect survived the crash and names its cause. Detecting a duplicate that way is Foldlab's rule, not the article's: the article tracks the highest event id seen (Part 2, Benefits and Drawbacks of Event Sourcing).",
};

/// The question asked before the race.
pub const RACE: Prediction = Prediction {
    question: "Two $60.00 orders race for a $100.00 limit, handled at the same moment by two instances. What happens?",
    choices: &[
        "One gets the credit; the other is refused and its order cancelled",
        "Both get the credit: $120.00 reserved against $100.00",
        "Both fail with an error",
    ],
    right: 0,
    why: "Both decisions change one aggregate, the Customer (Part 1, One Transaction Creates or Updates One Aggregate). Each append names the version it was decided against, so the later one is refused and decided again against the new state (Foldlab's own: the articles do not say how an event store orders concurrent updates).",
};

/// The question asked before loading an old-schema event.
pub const OLD_SCHEMA: Prediction = Prediction {
    question: "An OrderCreated written with schema version 1 is stored. What does the fold see?",
    choices: &[
        "The row is rewritten to the current schema in the store",
        "Nothing: the event cannot be read any more",
        "The current schema: it is upcast on read, and the stored row stays as written",
    ],
    right: 2,
    why: "Events are stored forever, so an older event is transformed to the latest version of its schema when it is loaded, and never rewritten (Part 2, Benefits and Drawbacks of Event Sourcing).",
};
