//! The lab's state on the page: the engine over the browser's event store, and a readout of what
//! the views show, refreshed after every command and delivery. Views call the methods here; the
//! rules themselves stay in the domain crate.

use foldlab_domain::{CustomerId, CustomerViews, EventEnvelope, Money, OrderId, WriteModel};
use foldlab_engine::{Engine, EngineError, StepReport, Subscriber, ViewVersion};
use foldlab_lab::narrate;
use foldlab_store::browser::{open_browser_store_with, BrowserStore};
use foldlab_store::integrity::IntegrityReport;
use foldlab_store::{Backend, Change, ClosedBy, EventStore, FaultSwitch, StoreError, StreamId};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

pub mod as_of;
pub mod faults;
pub mod journal;
pub mod lesson_text;
pub mod lessons;
pub mod projections;
pub mod quota;
pub mod sharing;
pub mod snapshots;
pub use journal::{Entry, Happened};

/// The name of the IndexedDB database (and the localStorage key prefix) the lab keeps its data in.
const STORE_NAME: &str = "foldlab";

/// How many deliveries "Run to end" makes at most before it stops to let the page breathe.
const RUN_LIMIT: usize = 10_000;

/// How many events one read asks for while the lab copies the log: between two pages the page gets
/// the main thread back, so a long log loads while the lab already answers clicks.
const LOG_PAGE: usize = 5_000;

/// The store the lab's engine runs on. One name, so that a wrapper (a fault switch, say) can take
/// its place without touching every signature.
pub type LabStore = FaultSwitch<BrowserStore>;

/// The engine the lab drives.
pub type LabEngine = Engine<LabStore>;

/// Where the store stands.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreStatus {
    /// Opening the browser's storage.
    Opening,
    /// Ready: which backend, and why it is not the default one, if it is not.
    Ready {
        backend: Backend,
        note: Option<String>,
    },
}

/// What the views show, read from the store in one go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readout {
    /// The whole log, oldest first.
    pub events: Vec<EventEnvelope>,
    /// Every aggregate's current state (the command side).
    pub model: WriteModel,
    /// The customer view as the query side holds it.
    pub view: CustomerViews,
    /// The save `view` was read from: while the store holds it, `view` is not read again.
    view_version: Option<ViewVersion>,
    /// Each subscriber's checkpoint.
    pub positions: Vec<(Subscriber, u64)>,
    /// Deliveries waiting.
    pub pending: usize,
    /// The store's head when it was last read: known before the log itself has been read.
    pub stored_head: u64,
}

impl Readout {
    /// The highest `event_id` stored.
    pub fn head(&self) -> u64 {
        self.events
            .last()
            .map_or(self.stored_head, |e| e.event_id.max(self.stored_head))
    }

    /// Takes what the query side held and the store's head, read in one pass.
    fn take_query_side(&mut self, (view, positions, pending): QueryRead, head: u64) {
        if let Some((version, view)) = view {
            self.view = view;
            self.view_version = version;
        }
        self.positions = positions;
        self.pending = pending;
        self.stored_head = head;
    }

    /// A customer's display name on the command side, or its id.
    pub fn customer_name(&self, id: &CustomerId) -> String {
        self.model
            .customers
            .get(id)
            .and_then(|c| c.customer())
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    }
}

/// The lab, shared by every view through context. `Copy`: it only holds handles.
#[derive(Clone, Copy)]
pub struct Lab {
    engine: StoredValue<Option<Rc<LabEngine>>, LocalStorage>,
    /// Where the store stands.
    pub status: RwSignal<StoreStatus>,
    /// What the views show.
    pub readout: RwSignal<Readout>,
    /// A failure to read the store, shown at the top.
    pub load_error: RwSignal<Option<String>>,
    /// How many times the lab was reset in this page: views that show records of their own
    /// (the Designs page) forget them when it moves.
    pub resets: RwSignal<u32>,
    /// True while a command or delivery runs (buttons are disabled meanwhile).
    pub busy: RwSignal<bool>,
    /// Set once the store is open and the lab takes commands: what the first view does not need
    /// (the rest of the stage, the reading of the log, the projection runner…) is fetched from
    /// then on (see `crate::lazy`).
    pub ready: RwSignal<bool>,
    /// Every command and delivery made in this browser, oldest first (see [`journal`]).
    pub journal: RwSignal<Vec<Entry>>,
    /// The last delivery's failure, shown by the choreography controls.
    pub step_error: RwSignal<Option<String>>,
    /// While the log is being read in pages: how many events are read so far, and the head.
    pub loading: RwSignal<Option<(usize, u64)>>,
    /// Set once, after the page loaded, the log has been read and the store checked: work that
    /// can wait (the projection runner's first read of the views) goes after them, so a click
    /// made meanwhile waits behind one long read at most, not two at once.
    settled: StoredValue<bool>,
    /// The copy of the log is being brought up to date (one reader at a time).
    syncing: StoredValue<bool>,
    /// Another refresh was asked for while one ran: run again when it ends.
    sync_again: StoredValue<bool>,
    /// The next refresh reads the whole log again instead of only what is new (after a reset or an
    /// import, which replace the log rather than add to it).
    reload_next: StoredValue<bool>,
    /// What the last integrity check found, when it found damage (see [`Lab::check_integrity`]).
    /// A check that finds nothing leaves `None`: its report holds a copy of every event and view,
    /// needed only to export what is readable from a damaged store.
    pub integrity: RwSignal<Option<IntegrityReport>>,
    /// Set when the store's connection was closed from outside (the database deleted, say): the
    /// lab then shows nothing it can no longer read and takes no command until a reload.
    pub closed: RwSignal<Option<ClosedBy>>,
}

impl Lab {
    /// Creates the lab and starts opening the store.
    pub fn open() -> Self {
        let lab = Lab {
            engine: StoredValue::new_local(None),
            status: RwSignal::new(StoreStatus::Opening),
            readout: RwSignal::new(Readout::default()),
            load_error: RwSignal::new(None),
            resets: RwSignal::new(0),
            busy: RwSignal::new(true),
            ready: RwSignal::new(false),
            journal: RwSignal::new(Vec::new()),
            step_error: RwSignal::new(None),
            loading: RwSignal::new(None),
            settled: StoredValue::new(false),
            syncing: StoredValue::new(false),
            sync_again: StoredValue::new(false),
            reload_next: StoredValue::new(false),
            integrity: RwSignal::new(None),
            closed: RwSignal::new(None),
        };
        spawn_local(async move {
            let (store, note) = open_browser_store_with(STORE_NAME, &faults::open_options()).await;
            let backend = store.backend();
            let engine = Engine::new(
                FaultSwitch::new(store),
                Box::new(|| js_sys::Date::now() as i64),
            );
            let engine = Rc::new(engine);
            lab.engine.set_value(Some(engine.clone()));
            lab.status.set(StoreStatus::Ready { backend, note });
            // Commands need nothing more: the engine loads each aggregate from its snapshot. What
            // the views show (the log, the query side, the checkpoints) is read from here on, by
            // code fetched now (see `crate::lazy`), as is the hearing of other tabs' writes.
            lab.busy.set(false);
            mark_ready();
            lab.ready.set(true);
            if crate::lazy::listen(lab, engine).await.is_err() {
                lab.load_error.set(Some(NOT_DOWNLOADED.to_string()));
            }
            lab.refresh().await;
            // Once per page load, after the log is in: every record on its own, so damage the
            // normal read does not trip over (a version edited into a gap, say) is found too
            // (unless the reads above already had damage checked and named).
            if lab.integrity.with_untracked(Option::is_none) {
                lab.check_integrity_in_background().await;
            }
            lab.settled.set_value(true);
        });
        lab
    }

    /// Reads the journal this browser saved, then hears other tabs' writes: reads what is new (or
    /// everything, after a reset or an import there), and their journal entries, so both tabs
    /// show one log without a reload.
    pub fn listen(&self, engine: &LabEngine) {
        let lab = *self;
        match journal::load(lab.backend()) {
            Ok(entries) => lab.journal.set(entries),
            Err(note) => lab.step_error.set(Some(note)),
        }
        engine
            .store()
            .inner()
            .on_external_change(Rc::new(move |change: &Change| {
                if let Change::Closed { by } = change {
                    lab.close(*by);
                    return;
                }
                // What the engine kept of a stream another handle wrote to is no longer its
                // state. Forgetting it only saves a refused append: the store checks a kept state.
                if let Some(engine) = lab.engine() {
                    match change {
                        Change::Appended { stream, .. } => engine.forget_state(stream),
                        Change::Cleared => engine.forget_states(),
                        _ => {}
                    }
                }
                let replaced = matches!(change, Change::Cleared);
                spawn_local(async move {
                    if let Ok(entries) = journal::load(lab.backend()) {
                        lab.journal.set(entries);
                    }
                    if replaced {
                        lab.reload().await;
                    } else {
                        lab.refresh().await;
                    }
                });
            }));
    }

    /// The store's connection was closed from outside: the events shown are no longer stored, so
    /// the tables empty, commands stop, and the page says what happened (see `StoreClosed`).
    fn close(&self, by: ClosedBy) {
        self.closed.set(Some(by));
        self.busy.set(true);
        self.loading.set(None);
        self.readout.set(Readout::default());
        // The deliveries told were made on the deleted store.
        self.journal.set(Vec::new());
    }

    /// Which store holds the lab's events (memory until one is open).
    pub fn backend(&self) -> Backend {
        match self.status.get_untracked() {
            StoreStatus::Ready { backend, .. } => backend,
            StoreStatus::Opening => Backend::Memory,
        }
    }

    /// The engine, once the store is open.
    pub fn engine(&self) -> Option<Rc<LabEngine>> {
        self.engine.get_value()
    }

    /// Brings what the views show up to date with the store: reads only the events appended since
    /// the last refresh (all of them the first time, or after [`Lab::reload`]) and folds them into
    /// the write model it keeps, then reads the query side and the checkpoints again.
    ///
    /// One refresh runs at a time; a refresh asked for meanwhile returns at once and makes the
    /// running one go round again, so nothing is read twice and nothing appended is missed.
    pub async fn refresh(&self) {
        let Some(engine) = self.engine() else { return };
        if self.closed.get_untracked().is_some() {
            return;
        }
        if self.syncing.get_value() {
            self.sync_again.set_value(true);
            return;
        }
        self.syncing.set_value(true);
        loop {
            self.sync_again.set_value(false);
            let Ok(sync) = crate::lazy::sync(*self, engine.clone()).await else {
                self.loading.set(None);
                self.load_error.set(Some(NOT_DOWNLOADED.to_string()));
                break;
            };
            match sync.await {
                Ok(()) => {
                    self.load_error.set(None);
                    // An event whose data the domain cannot read is a damaged record too: checked
                    // for unless a check has already named damage (a check that found none, as the
                    // one after the load, came before this record was damaged).
                    if self
                        .readout
                        .with_untracked(|s| !s.model.unreadable.is_empty())
                        && self.integrity.with_untracked(Option::is_none)
                    {
                        self.check_integrity().await;
                    }
                }
                Err(error) => {
                    self.loading.set(None);
                    self.load_error.set(Some(format!(
                        "The lab could not read its event store. {}",
                        said(&error)
                    )));
                    if matches!(error, EngineError::Store(StoreError::Corrupt(_))) {
                        self.check_integrity().await;
                    }
                    break;
                }
            }
            if !self.sync_again.get_value() {
                break;
            }
        }
        self.syncing.set_value(false);
    }

    /// Reads every record of the store on its own and shows what is damaged and what is readable
    /// (the integrity panel at the top of every view). Changes nothing.
    ///
    /// The check's code is not in the first download (see `crate::lazy`); when it cannot be
    /// fetched, the lab says so.
    pub async fn check_integrity(&self) {
        self.check(Pace::Straight).await;
    }

    /// [`Lab::check_integrity`] as background work (once per page load): it waits before each
    /// page while a command runs, so a click is not queued behind it. Never from within a
    /// command, which would wait for itself.
    async fn check_integrity_in_background(&self) {
        self.check(Pace::GiveWay).await;
    }

    async fn check(&self, pace: Pace) {
        let Some(engine) = self.engine() else { return };
        let Ok(check) = crate::lazy::check_integrity(*self, engine, pace).await else {
            self.load_error.set(Some(
                "The lab could not download its integrity check. Check the connection, then reload."
                    .to_string(),
            ));
            return;
        };
        match check.await {
            Ok(report) => self.integrity.set((!report.is_intact()).then_some(report)),
            Err(error) => self.load_error.set(Some(format!(
                "The lab could not check its event store either: {}",
                said(&error)
            ))),
        }
    }

    /// Returns once no command or delivery runs (or the store is closed): background reads (the
    /// integrity check's pages) wait here, so a click's reads are not queued behind them.
    pub async fn idle(&self) {
        while self.busy.get_untracked() && self.closed.get_untracked().is_none() {
            snapshots::pause(IDLE_POLL_MS).await;
        }
    }

    /// Reads the whole log again on the next refresh, and refreshes: for changes that replace the
    /// log (a reset, an import, another tab's reset) rather than add to it.
    pub async fn reload(&self) {
        self.reload_next.set_value(true);
        self.refresh().await;
    }

    /// One pass of [`Lab::refresh`]. Reading the whole log (the first time, or after a reset or
    /// an import) reads the query side and the checkpoints with its first page: they come from a
    /// few records, so the customer view shows while a long log is still being read.
    pub async fn sync(&self, engine: &LabEngine) -> Result<(), EngineError> {
        let store = engine.store();
        let mine = self.readout.with_untracked(|s| s.events.last().cloned());
        // The copy is only extended when its last event is still the store's event with that id:
        // otherwise the log was replaced (a reset or an import, here or in another tab). The head
        // and that event are read at once (each read may wait behind another reader).
        let (head, still_mine) = futures::future::try_join(store.head(), async {
            match &mine {
                None => Ok(true),
                Some(last) => Ok(store
                    .read_all(last.event_id - 1, 1)
                    .await?
                    .first()
                    .is_some_and(|e| e == last)),
            }
        })
        .await?;
        let extend = !self.reload_next.get_value()
            && still_mine
            && mine.as_ref().is_none_or(|last| last.event_id <= head);
        self.reload_next.set_value(false);
        let from = if extend {
            mine.map_or(0, |e| e.event_id)
        } else {
            0
        };
        // A whole read (the first, or after a reset or an import) folds each page into a write
        // model of its own as the page arrives, in that page's task: 100,000 events folded at the
        // end were one long task that a click had to wait for.
        let whole = from == 0;
        let mut folded = WriteModel::default();
        let mut fresh = Vec::new();
        let first_page = async {
            if from < head {
                store.read_all(from, LOG_PAGE).await
            } else {
                Ok(Vec::new())
            }
        };
        let mut page = if whole && head > LOG_PAGE as u64 {
            // A long log: the query side and the checkpoints come from a few records, so the
            // customer view shows while the log is still being read.
            let (read, page) = futures::future::try_join(query_side(engine, None), async {
                Ok(first_page.await?)
            })
            .await?;
            self.readout.update(|s| s.take_query_side(read, head));
            page
        } else {
            first_page.await?
        };
        // Each page in a transaction of its own, after a pause: a command's append waits for
        // the page being read, not for the whole log (reads made while one is active share its
        // transaction, so the next page is not asked for before this one is taken).
        while let Some(last) = page.last().map(|e| e.event_id) {
            if whole {
                page.iter().for_each(|event| folded.apply(event));
            }
            fresh.append(&mut page);
            if last >= head {
                break;
            }
            self.loading.set(Some((fresh.len(), head)));
            snapshots::pause(0).await;
            page = store.read_all(last, LOG_PAGE).await?;
        }
        // The customer view is read again only if it was saved since this copy was read (a
        // replaced log has other saves), so a long view is not copied after every command.
        let seen = if extend {
            self.readout.with_untracked(|s| s.view_version.clone())
        } else {
            None
        };
        let read = query_side(engine, seen.as_ref()).await?;
        self.loading.set(None);
        self.readout.update(|s| {
            if !extend {
                s.events.clear();
            }
            if whole {
                // The copy held nothing (extend) or is replaced (not): the fold is the model.
                s.model = folded;
            } else {
                fresh.iter().for_each(|event| s.model.apply(event));
            }
            if s.events.is_empty() {
                s.events = fresh;
            } else {
                s.events.extend(fresh);
            }
            s.take_query_side(read, head);
        });
        Ok(())
    }

    /// Runs `work` with the engine while marking the lab busy, then refreshes the views.
    pub async fn with_engine<T>(
        &self,
        work: impl AsyncFnOnce(Rc<LabEngine>) -> Result<T, String>,
    ) -> Result<T, String> {
        let engine = self.engine().ok_or_else(|| {
            "The event store is still opening; try again in a moment.".to_string()
        })?;
        if let Some(by) = self.closed.get_untracked() {
            return Err(format!("{} Reload the page to go on.", by.sentence()));
        }
        self.busy.set(true);
        // Races lost before this command are not its own.
        engine.store().faults().take_conflicts();
        let result = work(engine).await;
        self.refresh().await;
        // A store closed meanwhile keeps every button disabled.
        self.busy.set(self.closed.get_untracked().is_some());
        result
    }

    /// Creates a customer from what the form holds; returns a confirmation or the reason it was refused.
    pub async fn create_customer(
        &self,
        name: String,
        limit_text: String,
    ) -> Result<String, String> {
        let limit = Money::parse(&limit_text).map_err(|e| format!("Credit limit: {e}"))?;
        let id = CustomerId::new(short_id("c"));
        let lab = *self;
        self.with_engine(async move |engine| {
            let stored = engine
                .create_customer(&id, &name, limit, &short_id("k"))
                .await
                .map_err(|e| said(&e))?;
            lab.journal_command(&engine, &stored).await;
            Ok(format!(
                "Stored {}: customer {} was created with a {limit} credit limit.{}",
                ids(&stored),
                id,
                lost_races(&engine)
            ))
        })
        .await
    }

    /// Places an order; returns a confirmation or the reason it was refused.
    pub async fn place_order(
        &self,
        customer: String,
        total_text: String,
    ) -> Result<String, String> {
        if customer.is_empty() {
            return Err("Choose a customer first (create one above if there is none).".to_string());
        }
        let total = Money::parse(&total_text).map_err(|e| format!("Order total: {e}"))?;
        let id = OrderId::new(short_id("o"));
        let customer = CustomerId::new(customer);
        let lab = *self;
        self.with_engine(async move |engine| {
            let stored = engine
                .place_order(&id, &customer, total, &short_id("k"))
                .await
                .map_err(|e| said(&e))?;
            lab.journal_command(&engine, &stored).await;
            Ok(format!(
                "Stored {}: order {id} is NEW. Customer {customer} was looked up through the Customer service's API first; the Order keeps only its id. Step through the deliveries to see the Customer service react.{}",
                ids(&stored),
                lost_races(&engine)
            ))
        })
        .await
    }

    /// The user cancels an order (NEW or APPROVED); the Customer service releases its credit later.
    pub async fn cancel_order(&self, order: String) -> Result<String, String> {
        let id = OrderId::new(order);
        self.user_command(
            async move |engine| engine.cancel_order(&id, &short_id("k")).await,
            |stored| format!(
                "Stored {stored}: the order is CANCELLED. If credit was reserved for it, the Customer service releases it when the event is delivered (Foldlab's rule, not the article's)."
            ),
        )
        .await
    }

    /// The user ships an APPROVED order.
    pub async fn ship_order(&self, order: String) -> Result<String, String> {
        let id = OrderId::new(order);
        self.user_command(
            async move |engine| engine.ship_order(&id, &short_id("k")).await,
            |stored| format!("Stored {stored}: the order is SHIPPED; its reserved credit stays used (Foldlab's rule, not the article's)."),
        )
        .await
    }

    /// The user changes a customer's credit limit.
    pub async fn change_credit_limit(
        &self,
        customer: String,
        limit_text: String,
    ) -> Result<String, String> {
        let limit = Money::parse(&limit_text).map_err(|e| format!("New credit limit: {e}"))?;
        let id = CustomerId::new(customer);
        self.user_command(
            async move |engine| engine.change_credit_limit(&id, limit, &short_id("k")).await,
            |stored| format!("Stored {stored}: the credit limit is now {limit}."),
        )
        .await
    }

    /// The user deletes a customer: an event, not a removed row.
    pub async fn delete_customer(&self, customer: String) -> Result<String, String> {
        let id = CustomerId::new(customer);
        self.user_command(
            async move |engine| engine.delete_customer(&id, &short_id("k")).await,
            |stored| format!(
                "Stored {stored}: the customer is deleted. Its events stay in the store; new orders for it will be refused credit (Foldlab's rule, not the article's)."
            ),
        )
        .await
    }

    /// Runs one user command and records it in the journal. Returns its confirmation, which
    /// `confirm` words from the stored events (`CreditLimitChanged #5`), followed by each race the
    /// command lost on the way, as sentences of their own.
    async fn user_command(
        &self,
        command: impl AsyncFnOnce(&LabEngine) -> Result<Vec<EventEnvelope>, EngineError>,
        confirm: impl FnOnce(&str) -> String,
    ) -> Result<String, String> {
        let lab = *self;
        self.with_engine(async move |engine| {
            let stored = command(&engine).await.map_err(|e| said(&e))?;
            lab.journal_command(&engine, &stored).await;
            Ok(format!("{}{}", confirm(&ids(&stored)), lost_races(&engine)))
        })
        .await
    }

    /// Makes one delivery (or all of them, with `to_end`), logging a sentence for each.
    pub async fn deliver(&self, to_end: bool) {
        let lab = *self;
        let result = self
            .with_engine(async move |engine| {
                let mut made = 0;
                loop {
                    match engine.step().await {
                        Ok(Some(report)) => {
                            lab.log(&engine, &report).await;
                            made += 1;
                            if !to_end || made >= RUN_LIMIT {
                                return Ok(made);
                            }
                        }
                        Ok(None) => return Ok(made),
                        Err(error) => return Err(delivery_failure(&error)),
                    }
                }
            })
            .await;
        self.step_error.set(match result {
            Ok(0) => Some(
                "Nothing to deliver: every subscriber is up to date with the event store."
                    .to_string(),
            ),
            Ok(_) => None,
            Err(error) => Some(error),
        });
    }

    /// Deletes every event and checkpoint.
    pub async fn reset(&self) -> Result<(), String> {
        let lab = *self;
        self.reload_next.set_value(true);
        self.with_engine(async move |engine| {
            engine
                .store()
                .clear()
                .await
                .map_err(|e| crate::lab::said(&e))?;
            journal::clear(lab.backend());
            lab.journal.set(Vec::new());
            lab.step_error.set(None);
            // The Designs page's records go too: "everything" means everything.
            if let Ok(mut designs) = foldlab_designs::browser::LocalStorage::open() {
                let _ = designs.clear_all();
            }
            lab.resets.update(|n| *n += 1);
            Ok(())
        })
        .await
    }

    /// Records a delivery in the journal, with where every checkpoint stands after it.
    pub async fn log(&self, engine: &LabEngine, report: &StepReport) {
        let event = &report.delivery.event;
        let stored = report.outcome.stored().iter().map(|e| e.event_id).collect();
        self.record(
            engine,
            report.delivery.subscriber.name(),
            report.delivery.subscriber.label(),
            event,
            stored,
            Happened::Delivered(report.outcome.kind()),
            narrate(report),
        )
        .await;
    }

    /// Records a command the lab's forms sent in the journal, with code fetched once the lab takes
    /// commands (`crate::lazy`): the journal is for the views that replay it, not for the command.
    async fn journal_command(&self, engine: &Rc<LabEngine>, stored: &[EventEnvelope]) {
        match crate::lazy::journal_command(*self, engine.clone(), stored.to_vec()).await {
            Ok(work) => work.await,
            Err(_) => self.load_error.set(Some(NOT_DOWNLOADED.to_string())),
        }
    }

    /// Records a user's command in the journal: the events it stored, told in one sentence.
    pub async fn log_command(&self, engine: &LabEngine, stored: &[EventEnvelope]) {
        let Some(first) = stored.first() else { return };
        let sentence = format!(
            "You sent a command to {} {}: it decided and stored {} in one transaction on that one aggregate.",
            first.entity_type,
            first.entity_id,
            ids(stored)
        );
        self.record(
            engine,
            USER,
            "You (a command)",
            first,
            stored.iter().map(|e| e.event_id).collect(),
            Happened::Command,
            sentence,
        )
        .await;
    }

    /// Appends one journal entry and saves the journal.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        &self,
        engine: &LabEngine,
        subscriber: &str,
        label: &str,
        event: &EventEnvelope,
        stored: Vec<u64>,
        outcome: Happened,
        sentence: String,
    ) {
        let (head, positions) = match checkpoints(engine).await {
            Ok(found) => found,
            Err(error) => {
                self.step_error.set(Some(format!(
                    "The checkpoints could not be read for the journal: {error}"
                )));
                return;
            }
        };
        let mut saved = Ok(());
        let backend = self.backend();
        // Another tab may have added entries since this one last read the journal: start from what
        // is saved, so neither tab's entries overwrite the other's.
        if let Ok(stored) = journal::load(backend) {
            if stored.last().map(|e| e.number)
                > self.journal.with_untracked(|j| j.last().map(|e| e.number))
            {
                self.journal.set(stored);
            }
        }
        self.journal.update(|entries| {
            let number = entries.last().map_or(1, |e| e.number + 1);
            entries.push(Entry {
                number,
                subscriber: subscriber.to_string(),
                label: label.to_string(),
                event_id: event.event_id,
                source: StreamId::new(&event.entity_type, &event.entity_id),
                event_type: event.event_type.clone(),
                stored,
                outcome,
                sentence,
                head,
                positions,
                at_ms: js_sys::Date::now(),
            });
            saved = journal::save(backend, entries);
        });
        if let Err(note) = saved {
            self.step_error.set(Some(note));
        }
    }
}

/// How the integrity check goes with commands (see [`Lab::idle`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// Reads each page at once: the check was asked for, or runs within a command's refresh.
    Straight,
    /// Waits before each page while a command runs: the check is background work.
    GiveWay,
}

/// The journal's name for the user, who sends commands.
pub const USER: &str = "user";

/// The head of the log and every checkpoint (the services' and every projection's), by name.
pub async fn checkpoints(engine: &LabEngine) -> Result<(u64, Vec<(String, u64)>), EngineError> {
    // Read at once: each read waits behind whatever else the store is reading.
    let (head, services, statuses) = futures::future::try_join3(
        async { Ok(engine.store().head().await?) },
        engine.positions(),
        async { Ok(engine.query_side().statuses(engine.store()).await?) },
    )
    .await?;
    let mut positions: Vec<(String, u64)> = services
        .into_iter()
        .map(|(s, p)| (s.name().to_string(), p))
        .collect();
    for status in statuses {
        if !positions.iter().any(|(n, _)| *n == status.name) {
            positions.push((status.name, status.lag.position));
        }
    }
    Ok((head, positions))
}

/// What [`query_side`] reads: the customer view with the save it came from (`None` when `seen` is
/// still that save), each subscriber's checkpoint, the deliveries waiting.
type QueryRead = (
    Option<(Option<ViewVersion>, CustomerViews)>,
    Vec<(Subscriber, u64)>,
    usize,
);

/// The customer view, every service's checkpoint and the deliveries waiting: read from the
/// checkpoints (and whatever few events lie after them), not from the whole log.
async fn query_side(
    engine: &LabEngine,
    seen: Option<&ViewVersion>,
) -> Result<QueryRead, EngineError> {
    // Read at once (see `checkpoints`).
    futures::future::try_join3(
        engine.customer_view_changed(seen),
        engine.positions(),
        engine.pending(),
    )
    .await
}

/// How often [`Lab::idle`] looks again, in ms.
const IDLE_POLL_MS: i32 = 25;

/// Marks the page as ready for commands (`<html data-lab="ready">`): what the cold-start benchmark
/// and the end-to-end tests wait for. The moment is also a mark on the page's timeline
/// (`performance.mark("foldlab-ready")`), so the download benchmark can tell what was fetched
/// before the lab took commands from what followed.
fn mark_ready() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(performance) = window.performance() {
        let _ = performance.mark(READY_MARK);
    }
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-lab", "ready");
    }
}

/// Said when the code that reads the store could not be fetched (see `crate::lazy`).
const NOT_DOWNLOADED: &str = "Part of the lab could not be downloaded, so the tables may not be up to date. Check the connection: the next command tries again.";

/// The name of the mark [`mark_ready`] puts on the page's timeline.
const READY_MARK: &str = "foldlab-ready";

fn delivery_failure(error: &EngineError) -> String {
    format!("The delivery could not be completed, and its checkpoint was not moved, so it will be delivered again: {error}")
}

/// What a command met on the way, told after its confirmation: each race it lost to another
/// writer (usually another tab), after which the engine loaded the aggregate again, decided again
/// and appended at the new version. Empty when it met none.
fn lost_races(engine: &LabEngine) -> String {
    engine
        .store()
        .faults()
        .take_conflicts()
        .iter()
        .map(|c| {
            format!(
                " Conflict: {} was at version {} when this command appended, not {} as the command's decision assumed (another writer, perhaps another tab, appended first), so it was loaded again, decided again and retried.",
                c.stream, c.actual, c.expected
            )
        })
        .collect()
}

/// `#1, #2` for the events a command stored.
fn ids(events: &[EventEnvelope]) -> String {
    let list: Vec<String> = events
        .iter()
        .map(|e| format!("{} #{}", e.event_type, e.event_id))
        .collect();
    list.join(", ")
}

/// A short random id such as `c-1f2e3d4c`: short enough to read in a table, random enough that two
/// tabs do not pick the same one (and if they did, creating the stream twice is a conflict).
fn short_id(prefix: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &uuid[..8])
}

/// Where a learner looks next when a stored record cannot be read.
pub const SEE_THE_REPORT: &str =
    "Open the integrity report to see every record affected; what is readable can still be exported.";

/// What a learner can do when the browser's storage is full.
const FREE_SOME_SPACE: &str = "Free some space, for example by deleting generated histories on the Snapshots page or by exporting the lab and resetting it, then try again.";

/// A failure as the lab tells it: the store's or the engine's words say what failed; the page
/// adds what to do about it.
pub trait Said {
    /// The sentence shown to the learner.
    fn said(&self) -> String;
}

impl Said for StoreError {
    fn said(&self) -> String {
        match self {
            StoreError::QuotaExceeded(_) => format!("{self} {FREE_SOME_SPACE}"),
            StoreError::Corrupt(_) => format!("{self} {SEE_THE_REPORT}"),
            other => other.to_string(),
        }
    }
}

impl Said for EngineError {
    fn said(&self) -> String {
        match self {
            EngineError::Store(error) => error.said(),
            EngineError::Decode { .. } => format!("{self} {SEE_THE_REPORT}"),
            EngineError::UnknownCustomer(_) => format!("{self} Create the customer first."),
            EngineError::NotYetDelivered { .. } => {
                format!("{self} Step through the deliveries instead.")
            }
            EngineError::TooManyConflicts { .. } => format!("{self} Try again."),
            other => other.to_string(),
        }
    }
}

/// [`Said::said`] of `error`.
pub fn said(error: &impl Said) -> String {
    error.said()
}
