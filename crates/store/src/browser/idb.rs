//! The IndexedDB backend, the lab's default store: events and checkpoints survive reloads, and
//! several tabs can share one database without ever storing the same stream version twice.
//!
//! Layout (format 5; see [`FORMAT`] for the database's version):
//! - object store `events`, keyed by `event_id`, holding one plain JS object per event with the
//!   envelope's fields (`event_data` stays a JSON string, like the article's column);
//! - a **unique** index `stream` on `[entity_type, entity_id, version]`, which both answers "what
//!   is this stream's version" and makes a duplicate version impossible whatever the code does;
//! - object store `checkpoints`, keyed by `subscriber`; a view saved in parts keeps its head in
//!   `state` and the stamp of its save in `stamp`;
//! - object store `snapshots` (added in version 2), keyed by `[entity_type, entity_id]`: each
//!   stream's latest snapshot;
//! - object store `parts` (added in version 3), keyed by `[subscriber, map, key]`: the documents
//!   of the views saved in parts, one record each, written in the same transaction as their
//!   checkpoint;
//! - object store `meta` (added in version 4), out-of-line keys: the store's generation, a bare
//!   number under `generation` that a reset replaces.
//!
//! Upgrades are incremental: opening an older database adds what is missing and touches nothing
//! else, so the events and checkpoints a visitor already has are kept.
//!
//! **A connection never outlives a reset.** A reset is a new version of the database: it clears
//! the stores in the upgrade transaction, which IndexedDB starts only once every other connection
//! to the database has closed. Every handle closes its connection when told of a new version and,
//! when the version is a reset, opens a new one and forgets what it knew (its generation, its head,
//! its streams' versions). So what a handle learned on its connection holds until the connection
//! ends, and an append on a state it kept, or a version it reached, needs to read nothing (see
//! [`Shared::append_unread`]).

use super::channel::Channel;
use super::{global_property, Failure};
use crate::integrity::{IntegrityReport, NotAnEvent, RawEvent, RawRecord, RecordCheck};
use crate::notify::{Change, ChangeListener, ClosedBy, Listener, Notifier};
use crate::store::{
    number_batch, Backend, Checkpoint, EventStore, ExpectedVersion, Generation, HeldView,
    Replacing, Snapshot, StoreError, StreamId, ViewMark, ViewSave,
};
use foldlab_domain::{assemble, EventEnvelope, NewEvent};
use futures::channel::oneshot;
use js_sys::{Array, Promise};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbCursor, IdbCursorDirection, IdbDatabase, IdbFactory, IdbIndexParameters, IdbKeyRange,
    IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
    IdbVersionChangeEvent,
};

/// The format this code reads and writes. The database's version is `FORMAT * RESETS_PER_FORMAT`
/// plus the number of resets made since it had this format: a reset is a new version (see the
/// module's notes), and a version of a later format is a newer Foldlab's. Versions 1 to 4 were the
/// formats before: 2 added `snapshots`, 3 `parts`, 4 `meta`; 5 made a reset a version.
const FORMAT: u32 = 5;
/// How many resets one format's versions can count.
const RESETS_PER_FORMAT: u32 = 1_000_000;
/// The first version of [`FORMAT`].
const FIRST_VERSION: u32 = FORMAT * RESETS_PER_FORMAT;
const EVENTS: &str = "events";
const CHECKPOINTS: &str = "checkpoints";
const SNAPSHOTS: &str = "snapshots";
const PARTS: &str = "parts";

/// How many events the integrity check reads, and checks, in one transaction and one task (see
/// [`IndexedDbStore::check_integrity`]): about 15 ms of work in Chromium, so a click made
/// meanwhile waits for that at most.
const INTEGRITY_PAGE: u32 = 1_000;

/// Records about the store itself, by key: only [`GENERATION`] so far.
const META: &str = "meta";
/// The key of the store's generation in `meta`: a number a reset replaces with a fresh one.
const GENERATION: &str = "generation";
const STREAM_INDEX: &str = "stream";

/// How many streams' versions a handle remembers at most (see `Shared::seen`); past it they are
/// forgotten, and the next append to each reads its version again.
const SEEN_LIMIT: usize = 4096;

/// The largest integer a JS number holds exactly (2^53 - 1): ids, versions and timestamps beyond it
/// would silently change on the way through IndexedDB.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// An event store in one IndexedDB database.
pub struct IndexedDbStore {
    /// The connection and the appends' queue, shared with a group commit that finishes on its own
    /// (see [`EventStore::append`]).
    shared: Rc<Shared>,
}

/// What a connection is told by the browser, made once per handle and set on each connection.
struct Handlers {
    /// Closes the connection when another tab resets the store, opens a newer version of the
    /// database or deletes it, so that goes ahead instead of waiting for this one to be closed;
    /// after a reset, opens a new one (see [`Shared::reconnect`]).
    version_change: Closure<dyn FnMut(IdbVersionChangeEvent)>,
    /// Hears the browser closing the connection itself (site data cleared).
    close: Closure<dyn FnMut(web_sys::Event)>,
}

/// The connection and what goes with it.
struct Shared {
    /// The database's name.
    name: String,
    /// The connection: replaced after a reset (see [`Shared::reconnect`]).
    db: RefCell<IdbDatabase>,
    /// While a reset is under way (here or in another tab) and this handle waits for its new
    /// connection: the operations waiting for it (see [`Shared::connected`]).
    reconnecting: RefCell<Option<Vec<oneshot::Sender<()>>>>,
    /// Set on each connection; `None` once the handle is dropped.
    handlers: RefCell<Option<Handlers>>,
    notifier: Notifier,
    /// Tells other handles on this database (other tabs) of each committed write, and hears theirs.
    channel: Channel,
    /// The head this handle last saw (after its own append): a guess that lets the next append
    /// with a known expected version issue its writes without waiting for its reads (see
    /// [`Shared::append_alone`]); the reads still decide whether they are kept.
    head_hint: Cell<Option<u64>>,
    /// The store's generation as this handle last read or wrote it (in an append's transaction,
    /// or its own reset); `None` until then.
    generation: Cell<Option<Generation>>,
    /// The version each stream reached by this handle's own appends in that generation.
    seen: RefCell<HashMap<StreamId, u64>>,
    /// This handle's own prefix for the stamps of its views' saves (random), and how many it gave:
    /// no other handle, in this tab or another, gives the same stamp.
    stamp_prefix: String,
    stamps: Cell<u64>,
    /// Set once the connection was closed from outside, and by what: every later use fails with
    /// a plain sentence instead of the browser's exception.
    closed: Cell<Option<ClosedBy>>,
    /// The appends waiting for the one in flight (group commit).
    queue: RefCell<Queue>,
    /// How many readwrite transactions this handle's appends have used.
    append_transactions: Cell<u64>,
    /// The stores an append's transaction spans, as the list the browser takes (made once).
    append_stores: Array,
    /// The readonly transaction reads share while it is active (see [`Shared::read`]).
    reads: RefCell<Option<IdbTransaction>>,
    /// Counts the shared read transactions made, so a late event of an earlier one is told apart.
    read_generation: Cell<u64>,
    /// Requests still pending in the current shared read transaction.
    reads_pending: Cell<usize>,
}

/// This handle's appends: at most one readwrite transaction of them in flight; those made
/// meanwhile wait here, in the order they were made, and go together in the next one.
#[derive(Default)]
struct Queue {
    /// An append transaction (alone or a group) is in flight.
    busy: bool,
    waiting: Vec<Waiting>,
}

/// What an append that reads nothing did (see [`Shared::append_unread`]).
enum Unread {
    /// The events, stored.
    Stored(Vec<EventEnvelope>),
    /// Nothing stored, because the guess did not hold: the events back, for the append that reads.
    Refused(Vec<NewEvent>),
    /// Nothing stored, for a reason reading would not change.
    Failed(StoreError),
}

/// One member's outcome in a group: its stored envelopes, or why nothing of it was stored.
type Appended = Result<Vec<EventEnvelope>, StoreError>;

/// An append waiting for its turn.
struct Waiting {
    stream: StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Appended>,
}

/// Starts the next group when dropped: when the append in flight is done (or its caller stopped
/// waiting for it).
struct NextTurn(Rc<Shared>);

impl Drop for NextTurn {
    fn drop(&mut self) {
        next_group(&self.0);
    }
}

/// Starts the waiting appends as one group, in a task of its own that runs to the end whoever
/// waits for it (so no member is left without an answer); the queue stays busy until none waits.
fn next_group(shared: &Rc<Shared>) {
    {
        let mut queue = shared.queue.borrow_mut();
        if queue.waiting.is_empty() {
            queue.busy = false;
            return;
        }
        queue.busy = true;
    }
    let shared = Rc::clone(shared);
    wasm_bindgen_futures::spawn_local(async move {
        let _next = NextTurn(Rc::clone(&shared));
        // One turn of the task queue first: appends made at this same moment (by tasks woken
        // just before or after this one) join the group.
        YieldOnce(false).await;
        let group = std::mem::take(&mut shared.queue.borrow_mut().waiting);
        shared.commit_group(group).await;
    });
}

/// A future that is pending once, asking to be polled again at once: the task goes to the back of
/// the queue, after the tasks woken at the same moment.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl IndexedDbStore {
    /// Opens (creating it the first time) the database `name`.
    ///
    /// Fails with [`StoreError::Unavailable`] when the browser has no IndexedDB or refuses to open
    /// it (private modes, disabled storage, a broken profile), or when a newer Foldlab has given
    /// it a later format.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        // Most databases were never reset: their version is this format's first.
        let db = open_current(name, FIRST_VERSION)
            .await
            .map_err(Unopened::into_store_error)?;
        let notifier = Notifier::default();
        let channel = Channel::open(&format!("{name} IndexedDB"), notifier.clone());
        let shared = Rc::new(Shared {
            name: name.to_string(),
            db: RefCell::new(db),
            reconnecting: RefCell::new(None),
            handlers: RefCell::new(None),
            channel,
            notifier,
            head_hint: Cell::new(None),
            generation: Cell::new(None),
            seen: RefCell::default(),
            stamp_prefix: format!("{:012x}", (js_sys::Math::random() * 2f64.powi(48)) as u64),
            stamps: Cell::new(0),
            closed: Cell::new(None),
            queue: RefCell::default(),
            append_transactions: Cell::new(0),
            append_stores: [EVENTS, META]
                .iter()
                .map(|s| JsValue::from_str(s))
                .collect(),
            reads: RefCell::new(None),
            read_generation: Cell::new(0),
            reads_pending: Cell::new(0),
        });
        let handlers = Handlers::new(Rc::downgrade(&shared));
        handlers.set_on(&shared.db.borrow());
        *shared.handlers.borrow_mut() = Some(handlers);
        Ok(Self { shared })
    }

    /// Calls `listener` with each write another handle on this database commits (another tab, or
    /// a second handle in this page). Its appends also reach [`EventStore::subscribe`]'s listeners.
    /// Nothing is heard in a browser without `BroadcastChannel`.
    pub fn on_external_change(&self, listener: ChangeListener) {
        self.shared.channel.on_external_change(listener);
    }

    /// Whether other handles learn of this one's writes (the browser has `BroadcastChannel`).
    pub fn tells_other_tabs(&self) -> bool {
        self.shared.channel.is_open()
    }

    /// Reads every record of the database on its own and reports what is damaged and what reads
    /// ([`crate::integrity`]). Changes nothing. Fails only when the database cannot be read at all.
    ///
    /// The views, snapshots and the generation are read in one transaction, then the events a
    /// page at a time, each page in a transaction of its own: a command made meanwhile waits for
    /// one page at most, not for the whole log (a long history takes seconds to read). The log
    /// only grows within a generation, so the events read after the views hold every event they
    /// name; if a reset or an import gave the store a new generation meanwhile, the check starts
    /// again.
    pub async fn check_integrity(&self) -> Result<IntegrityReport, StoreError> {
        self.check_integrity_paced(async || {}).await
    }

    /// [`IndexedDbStore::check_integrity`], awaiting `pace` before each page of events: the
    /// caller holds the check there while something that should not wait behind it runs (each
    /// page's read goes before the reads queued after it).
    pub async fn check_integrity_paced(
        &self,
        pace: impl AsyncFn(),
    ) -> Result<IntegrityReport, StoreError> {
        loop {
            if let Some(report) = self.check_integrity_once(&pace).await? {
                return Ok(report);
            }
        }
    }

    /// One pass of [`IndexedDbStore::check_integrity`]; `None` when the generation changed.
    async fn check_integrity_once(
        &self,
        pace: &impl AsyncFn(),
    ) -> Result<Option<IntegrityReport>, StoreError> {
        self.shared.connected().await?;
        let tx = self.transaction(
            &[CHECKPOINTS, SNAPSHOTS, PARTS, META],
            IdbTransactionMode::Readonly,
        )?;
        // Every request is issued before any is awaited, so all of them run in the one transaction.
        let mut requests = Vec::new();
        for name in [CHECKPOINTS, SNAPSHOTS, PARTS] {
            let store = tx.object_store(name).map_err(unavailable)?;
            requests.push(Pending::new(&store.get_all_keys().map_err(unavailable)?));
            requests.push(Pending::new(&store.get_all().map_err(unavailable)?));
        }
        let generation = generation_request(&tx)?;
        // Keys and records of the checkpoints (lists 0 and 1), snapshots (2, 3) and parts (4, 5).
        let mut lists = Vec::new();
        for request in requests {
            lists.push(list_of(request.outcome().await.map_err(reading)?)?);
        }
        // Compared as stored: a damaged generation record is the append's to report, not this.
        let generation = generation.outcome().await.map_err(reading)?;
        // Each page is checked as it arrives, in its own task: a long log is not checked in one
        // long task at the end, which a click would have to wait for.
        let mut check = RecordCheck::new(Vec::new());
        let mut after: Option<JsValue> = None;
        loop {
            pace().await;
            // A reset meanwhile is seen in the generation this page reads.
            self.shared.connected().await?;
            let tx = self.transaction(&[EVENTS, META], IdbTransactionMode::Readonly)?;
            let store = tx.object_store(EVENTS).map_err(unavailable)?;
            let range = match &after {
                Some(key) => IdbKeyRange::lower_bound_with_open(key, true)
                    .map_err(unavailable)?
                    .into(),
                None => JsValue::UNDEFINED,
            };
            let keys = Pending::new(
                &store
                    .get_all_keys_with_key_and_limit(&range, INTEGRITY_PAGE)
                    .map_err(unavailable)?,
            );
            let records = Pending::new(
                &store
                    .get_all_with_key_and_limit(&range, INTEGRITY_PAGE)
                    .map_err(unavailable)?,
            );
            let now = generation_request(&tx)?;
            let keys = list_of(keys.outcome().await.map_err(reading)?)?;
            let records = list_of(records.outcome().await.map_err(reading)?)?;
            if !js_sys::Object::is(&now.outcome().await.map_err(reading)?, &generation) {
                return Ok(None);
            }
            let full = keys.length() == INTEGRITY_PAGE;
            after = (keys.length() > 0).then(|| keys.get(keys.length() - 1));
            check.add(
                keys.iter()
                    .zip(records.iter())
                    .map(|(key, record)| raw_event(&key, record)),
            );
            if !full {
                break;
            }
        }
        let pairs = |i: usize| lists[i].iter().zip(lists[i + 1].iter());
        // The documents of the views saved in parts, by subscriber: a view reads only whole.
        let mut documents: BTreeMap<String, Vec<[String; 3]>> = BTreeMap::new();
        for (key, value) in pairs(4) {
            let field = |name: &str| {
                js_sys::Reflect::get(&value, &JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_string())
            };
            let subscriber = js_sys::Reflect::get_u32(&key, 0)
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let fields = [field("map"), field("key"), field("json")];
            let document = match fields {
                [Some(map), Some(key), Some(json)] => [map, key, json],
                // A record that is not a document: its view does not assemble.
                _ => [String::new(), String::new(), "not a document".to_string()],
            };
            documents.entry(subscriber).or_default().push(document);
        }
        let checkpoints = pairs(0)
            .map(|(key, value)| {
                let subscriber = key.as_string().unwrap_or_else(|| format!("{key:?}"));
                let in_parts = stamp_of(&value).is_some();
                let read = serde_wasm_bindgen::from_value::<Checkpoint>(value)
                    .map_err(|e| e.to_string())
                    .and_then(|mut checkpoint| {
                        if in_parts {
                            let parts = documents.get(&subscriber).map_or(&[][..], Vec::as_slice);
                            checkpoint.state = assemble(
                                &checkpoint.state,
                                parts.iter().map(|[map, key, json]| {
                                    (map.as_str(), key.as_str(), json.as_str())
                                }),
                            )
                            .map_err(|e| e.0)?;
                        }
                        Ok(checkpoint)
                    });
                RawRecord {
                    record: format!("the checkpoint of {subscriber}"),
                    stream: None,
                    read,
                }
            })
            .collect();
        let snapshots = pairs(2)
            .map(|(key, value)| {
                let part = |i| {
                    js_sys::Reflect::get_u32(&key, i)
                        .ok()
                        .and_then(|v| v.as_string())
                };
                let stream = part(0).zip(part(1)).map(|(t, id)| StreamId::new(t, id));
                RawRecord {
                    record: match &stream {
                        Some(stream) => format!("the snapshot of {stream}"),
                        None => format!("the snapshot under key {key:?}"),
                    },
                    stream,
                    read: serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string()),
                }
            })
            .collect();
        Ok(Some(check.finish(None, checkpoints, snapshots)))
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: IdbTransactionMode,
    ) -> Result<IdbTransaction, StoreError> {
        self.shared.transaction(stores, mode)
    }

    /// A subscriber's checkpoint record as stored, read in the reads' shared transaction.
    async fn checkpoint_record(&self, subscriber: &str) -> Result<Option<JsValue>, StoreError> {
        self.shared.connected().await?;
        let key = JsValue::from_str(subscriber);
        let request = Shared::read(&self.shared, |tx| tx.object_store(CHECKPOINTS)?.get(&key))?;
        let record = request.outcome().await.map_err(reading)?;
        Ok((!record.is_undefined()).then_some(record))
    }

    /// How many readwrite transactions this handle's appends have used so far: fewer than the
    /// appends when some were committed together. Retries after a lost guess count too.
    pub fn append_transactions(&self) -> u64 {
        self.shared.append_transactions.get()
    }

    /// Whether appends that read nothing commit early in this page (see
    /// `earlyCommitIsSafe` in `records.js`, asked once per page): waits for the browser's answer,
    /// true only in Chromium-based browsers that showed it is safe.
    pub async fn commits_early(&self) -> bool {
        let safe = early_commit_is_safe(&self.shared.db.borrow(), META);
        JsFuture::from(safe)
            .await
            .is_ok_and(|safe| safe.as_bool() == Some(true))
    }
}

impl Handlers {
    /// The handlers of the handle whose connection and state are `shared`.
    fn new(shared: Weak<Shared>) -> Self {
        let version_change = Closure::<dyn FnMut(IdbVersionChangeEvent)>::new({
            let shared = shared.clone();
            move |event: IdbVersionChangeEvent| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.db.borrow().close();
                match event.new_version() {
                    None => shared.closed_by(ClosedBy::Deleted),
                    Some(version) if format_of(version) == FORMAT => {
                        Shared::reconnect(&shared, version as u32)
                    }
                    Some(_) => shared.closed_by(ClosedBy::NewerVersion),
                }
            }
        });
        let close = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            if let Some(shared) = shared.upgrade() {
                shared.closed_by(ClosedBy::Browser);
            }
        });
        Self {
            version_change,
            close,
        }
    }

    fn set_on(&self, db: &IdbDatabase) {
        db.set_onversionchange(Some(self.version_change.as_ref().unchecked_ref()));
        db.set_onclose(Some(self.close.as_ref().unchecked_ref()));
    }
}

/// Why the database could not be opened at this format.
enum Unopened {
    /// A newer Foldlab gave it a later format.
    Newer,
    /// The browser refused.
    Failed(StoreError),
}

impl Unopened {
    fn into_store_error(self) -> StoreError {
        match self {
            Unopened::Newer => StoreError::Unavailable(
                "A newer version of the lab has changed this browser's event store. Reload the page \
                 to use that version."
                    .into(),
            ),
            Unopened::Failed(error) => error,
        }
    }
}

/// The format a database version belongs to (0 for the versions before formats were counted).
fn format_of(version: f64) -> u32 {
    (version / f64::from(RESETS_PER_FORMAT)) as u32
}

/// How opening the database at a version went.
enum Opened {
    /// Open; and whether this open upgraded it (created it, brought an older format up to this
    /// one, or reset it).
    Open(IdbDatabase, bool),
    /// The database is at a later version than the one asked for.
    Later,
}

/// Opens database `name` at `version` (at its current one when `None`), running
/// [`upgrade_schema`] in the upgrade transaction when `version` is newer than the database's. Only
/// an open that `resets` may reset the store: any other that would is undone, and answers
/// [`Opened::Later`] (it asked for a version the database has not reached, which happens when a
/// reset it was told of did not go through).
async fn connect(name: &str, version: Option<u32>, resets: bool) -> Result<Opened, StoreError> {
    let factory: IdbFactory = global_property("indexedDB").map_err(StoreError::Unavailable)?;
    let request = match version {
        Some(version) => factory.open_with_u32(name, version),
        None => factory.open(name),
    }
    .map_err(|e| Failure::from_js(&e).into_store_error("opening IndexedDB"))?;
    // The schema is created, or the store reset, inside the open request's own upgrade
    // transaction; an error thrown here aborts it and the open fails, changing nothing.
    let upgraded = Rc::new(Cell::new(false));
    let refused = Rc::new(Cell::new(false));
    let upgrade = Closure::<dyn FnMut(IdbVersionChangeEvent) -> Result<(), JsValue>>::new({
        let request = request.clone();
        let (upgraded, refused) = (Rc::clone(&upgraded), Rc::clone(&refused));
        move |event: IdbVersionChangeEvent| {
            if format_of(event.old_version()) == FORMAT && !resets {
                refused.set(true);
                return Err(JsValue::from_str("not a reset"));
            }
            upgraded.set(true);
            upgrade_schema(&request, event.old_version())
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let opened = Pending::new(&request).outcome().await;
    request.set_onupgradeneeded(None);
    drop(upgrade);
    match opened {
        Ok(db) => db
            .dyn_into::<IdbDatabase>()
            .map(|db| Opened::Open(db, upgraded.get()))
            .map_err(|_| StoreError::Unavailable("IndexedDB opened something else".into())),
        Err(f) if f.name == "VersionError" || refused.get() => Ok(Opened::Later),
        Err(f) => Err(f.into_store_error("opening IndexedDB")),
    }
}

/// Opens database `name` at its current version of this format, bringing a database of an older
/// format up to it (a new one is created at [`FIRST_VERSION`]). `likely` is the version it is
/// most likely at: asked for first, and asked for again only when it is later.
async fn open_current(name: &str, likely: u32) -> Result<IdbDatabase, Unopened> {
    let mut asking = Some(likely);
    loop {
        match connect(name, asking, false)
            .await
            .map_err(Unopened::Failed)?
        {
            Opened::Open(db, _) if format_of(db.version()) < FORMAT => {
                db.close();
                asking = Some(FIRST_VERSION);
            }
            Opened::Open(db, _) if format_of(db.version()) > FORMAT => {
                db.close();
                return Err(Unopened::Newer);
            }
            Opened::Open(db, _) => return Ok(db),
            // Reset since it had this format (or a newer Foldlab's): as it is.
            Opened::Later => asking = None,
        }
    }
}

/// Resets database `name`, at version `from`, by opening it at the next version, whose upgrade
/// clears it (see [`upgrade_schema`]); the new connection. When another tab reset it to that
/// version first, it may have written since: the reset goes on to the version after.
async fn reset_from(name: &str, mut from: u32) -> Result<IdbDatabase, StoreError> {
    loop {
        let next = from + 1;
        if format_of(f64::from(next)) != FORMAT {
            return Err(StoreError::Unavailable(
                "the store cannot be reset again: it has been reset a million times".into(),
            ));
        }
        match connect(name, Some(next), true).await? {
            Opened::Open(db, true) => return Ok(db),
            Opened::Open(db, false) => {
                from = db.version() as u32;
                db.close();
            }
            Opened::Later => {
                let db = open_current(name, from)
                    .await
                    .map_err(Unopened::into_store_error)?;
                from = db.version() as u32;
                db.close();
            }
        }
    }
}

impl Shared {
    /// Closes for good, telling this handle's own listeners once: the lab then says what happened
    /// instead of showing tables that are no longer stored. Operations waiting for a new
    /// connection then fail with that sentence.
    fn closed_by(&self, by: ClosedBy) {
        if self.closed.get().is_none() {
            self.closed.set(Some(by));
            Channel::tell_here(&self.channel.listeners(), &Change::Closed { by });
        }
        self.release_waiting();
    }

    /// After a reset made elsewhere (another tab, or another handle in this page): opens a new
    /// connection, in the background; this handle's operations wait for it.
    fn reconnect(shared: &Rc<Shared>, version: u32) {
        shared.begin_reconnecting();
        let shared = Rc::clone(shared);
        wasm_bindgen_futures::spawn_local(async move {
            shared.take_current(open_current(&shared.name, version).await);
        });
    }

    /// Takes the connection a reopening gave, or closes for good when there is none.
    fn take_current(&self, opened: Result<IdbDatabase, Unopened>) {
        match opened {
            Ok(db) => self.reconnected(db),
            Err(Unopened::Newer) => self.closed_by(ClosedBy::NewerVersion),
            Err(Unopened::Failed(_)) => self.closed_by(ClosedBy::Browser),
        }
    }

    /// The connection is going: operations wait (see [`Shared::connected`]), and what this handle
    /// learned on it is forgotten, since a reset follows.
    fn begin_reconnecting(&self) {
        self.reconnecting.borrow_mut().get_or_insert_with(Vec::new);
        self.forget();
        self.reads.borrow_mut().take();
        self.read_generation.set(self.read_generation.get() + 1);
    }

    /// Forgets the generation, the head and the streams' versions learned on a connection.
    fn forget(&self) {
        self.head_hint.set(None);
        self.generation.set(None);
        self.seen.borrow_mut().clear();
    }

    /// Takes the new connection `db` and lets the waiting operations go on; closes it when the
    /// handle was dropped meanwhile.
    fn reconnected(&self, db: IdbDatabase) {
        match self.handlers.borrow().as_ref() {
            Some(handlers) => {
                handlers.set_on(&db);
                *self.db.borrow_mut() = db;
            }
            None => db.close(),
        }
        // Nothing learned from the old connection's last transactions is taken (see
        // `Shared::learn_generation`); forgotten once more all the same.
        self.forget();
        self.release_waiting();
    }

    fn release_waiting(&self) {
        for waiting in self.reconnecting.borrow_mut().take().into_iter().flatten() {
            let _ = waiting.send(());
        }
    }

    /// Waits while a reset is under way; an error once the connection was closed for good.
    async fn connected(&self) -> Result<(), StoreError> {
        loop {
            self.check_open()?;
            let wait = match self.reconnecting.borrow_mut().as_mut() {
                None => return Ok(()),
                Some(waiting) => {
                    let (tell, wait) = oneshot::channel();
                    waiting.push(tell);
                    wait
                }
            };
            let _ = wait.await;
        }
    }
}

impl Shared {
    fn transaction(
        &self,
        stores: &[&str],
        mode: IdbTransactionMode,
    ) -> Result<IdbTransaction, StoreError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.transaction_on(&names, mode)
    }

    /// A readwrite transaction for an append (the events and the generation), counted.
    fn append_transaction(&self) -> Result<IdbTransaction, StoreError> {
        let tx = self.transaction_on(&self.append_stores, IdbTransactionMode::Readwrite)?;
        self.count_append_transaction();
        Ok(tx)
    }

    fn count_append_transaction(&self) {
        self.append_transactions
            .set(self.append_transactions.get() + 1);
    }

    /// An error saying what closed the connection, once it was closed from outside.
    fn check_open(&self) -> Result<(), StoreError> {
        match self.closed.get() {
            Some(by) => Err(StoreError::Unavailable(format!(
                "{} Reload the page to open it again.",
                by.sentence()
            ))),
            None => Ok(()),
        }
    }

    /// An error when the connection was closed for good, or while a reset is under way (an
    /// operation waits for its end first, see [`Shared::connected`]).
    fn usable(&self) -> Result<(), StoreError> {
        self.check_open()?;
        if self.reconnecting.borrow().is_some() {
            return Err(StoreError::Unavailable(
                "the event store is being reset: try again in a moment".into(),
            ));
        }
        Ok(())
    }

    /// A transaction over the stores `names` lists.
    fn transaction_on(
        &self,
        names: &Array,
        mode: IdbTransactionMode,
    ) -> Result<IdbTransaction, StoreError> {
        self.usable()?;
        self.db
            .borrow()
            .transaction_with_str_sequence_and_mode(names, mode)
            .map_err(|e| Failure::from_js(&e).into_store_error("starting a transaction"))
    }

    /// A stamp for a view's save that no save made before, here or in another tab, carries.
    fn next_stamp(&self) -> String {
        self.stamps.set(self.stamps.get() + 1);
        format!("{}-{}", self.stamp_prefix, self.stamps.get())
    }

    /// The stream's current version, in a transaction of its own.
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.connected().await?;
        let tx = self.transaction(&[EVENTS], IdbTransactionMode::Readonly)?;
        let last = last_version_request(&tx, stream)?;
        cursor_version(last.outcome().await.map_err(reading)?)
    }

    /// One append in a readwrite transaction of its own; the caller settles what it stored (see
    /// [`Shared::settled`]).
    async fn append_alone(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        // One readwrite transaction does the version check, the numbering and every put. IndexedDB
        // runs readwrite transactions over the same store one after another, across tabs too, so
        // what is read here cannot change before the puts land; and if anything fails the whole
        // transaction aborts and none of the batch is stored.
        // With a guess of the head and a version the caller states, the writes are issued at once,
        // queued behind the reads, and kept only if the reads confirm the guess; otherwise the
        // transaction is aborted (nothing stored) and the append is made again the plain way. A
        // single-event command then costs one round trip instead of two.
        let mut events = events;
        if let (Some(_), Some(head), Some(version)) = (
            self.unread_generation(stream, expected),
            self.head_hint.get(),
            expected.version(),
        ) {
            match self.append_unread(stream, head, version, events).await {
                Unread::Stored(stored) => return Ok(stored),
                Unread::Refused(back) => events = back,
                Unread::Failed(error) => return Err(error),
            }
        }
        let mut guess = self.head_hint.get().zip(expected.version());
        let (done, stored) = loop {
            // A reset may have begun while an earlier attempt was under way.
            self.connected().await?;
            let tx = self.append_transaction()?;
            let done = Completion::new(&tx);
            let last_version = last_version_request(&tx, stream)?;
            let last_event = last_event_request(&tx)?;
            let generation = generation_request(&tx)?;
            let early = match guess {
                Some((head, version)) => {
                    let stored = number_batch(stream, head, version, std::mem::take(&mut events));
                    add_all(&tx, &stored)?;
                    Some((head, stored))
                }
                None => None,
            };
            let actual = cursor_version(last_version.outcome().await.map_err(reading)?)?;
            let head = cursor_event_id(last_event.outcome().await.map_err(reading)?)?;
            let generation = generation_of(generation.outcome().await.map_err(reading)?)?;
            self.learn_generation(generation);
            if !expected.admits(actual, Some(generation)) {
                // Only reads happened, or writes that the abort undoes.
                let _ = tx.abort();
                return Err(StoreError::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                });
            }
            match early {
                Some((guessed, stored)) if guessed == head => break (done, stored),
                Some((_, stored)) => {
                    // Another handle wrote meanwhile: undo, and number the batch from what was read.
                    let _ = tx.abort();
                    events = stored.into_iter().map(NewEvent::from).collect();
                    guess = None;
                }
                None => {
                    let stored = number_batch(stream, head, actual, std::mem::take(&mut events));
                    add_all(&tx, &stored)?;
                    break (done, stored);
                }
            }
        };
        match done.outcome().await {
            Ok(()) => {}
            // The unique index (or the event id key) refused a record: another writer got there
            // first in a way the version check could not see. Nothing was stored.
            Err(f) if f.name == "ConstraintError" => {
                return Err(StoreError::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual: self.stream_version(stream).await?,
                })
            }
            Err(f) => return Err(f.into_store_error("storing the events")),
        }
        Ok(stored)
    }

    /// Whether an append to `stream` stating `expected` may read nothing: the generation this
    /// handle knows, when the stream is sure to be at least at the version stated in it (nothing
    /// is deleted while this connection lasts, see the module's notes): a new stream, a state kept
    /// in it ([`ExpectedVersion::Kept`]), or a version this handle's own appends reached in it.
    fn unread_generation(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
    ) -> Option<Generation> {
        let known = self.generation.get()?;
        let sure = match expected {
            ExpectedVersion::NoStream => true,
            ExpectedVersion::Kept { generation, .. } => generation == known,
            ExpectedVersion::Exact(version) => self
                .seen
                .borrow()
                .get(stream)
                .is_some_and(|&seen| seen >= version),
            ExpectedVersion::Any => false,
        };
        sure.then_some(known)
    }

    /// An append whose stream and head are known to be at least at `version` and `head` (see
    /// [`Shared::unread_generation`]; the head is this handle's own last append on this
    /// connection): nothing is read. Nothing is deleted while the connection lasts, so the stream
    /// is at least at `version` and the log at least at `head`; the writes are issued at once, and
    /// the unique stream index and the event-id key refuse them if either moved on. Then the
    /// transaction is aborted, nothing is stored, and the events come back for the append that
    /// reads.
    async fn append_unread(
        &self,
        stream: &StreamId,
        head: u64,
        version: u64,
        events: Vec<NewEvent>,
    ) -> Unread {
        let stored = number_batch(stream, head, version, events);
        let back = |stored: Vec<EventEnvelope>| stored.into_iter().map(NewEvent::from).collect();
        let records = match stored
            .iter()
            .map(event_record)
            .collect::<Result<Array, _>>()
        {
            Ok(records) => records,
            Err(error) => return Unread::Failed(error),
        };
        match self.write_guarded(&records).await {
            Ok(Ok(())) => Unread::Stored(stored),
            Ok(Err(f)) if f.name == "ConstraintError" => Unread::Refused(back(stored)),
            Ok(Err(f)) => Unread::Failed(f.into_store_error("storing the events")),
            Err(error) => Unread::Failed(error),
        }
    }

    /// Adds `records` in an append's transaction that reads nothing (see `appendGuarded` in
    /// `records.js`), guarded by the event-id key and the unique stream index. The outer error when
    /// the transaction could not be started (a connection closed from outside, or a reset under
    /// way); the inner one when it stopped, storing nothing (a refused add among the reasons).
    async fn write_guarded(&self, records: &Array) -> Result<Result<(), Failure>, StoreError> {
        self.usable()?;
        self.count_append_transaction();
        let written = append_guarded(&self.db.borrow(), EVENTS, META, records);
        let written = JsFuture::from(written).await;
        Ok(match written {
            Ok(_) => Ok(()),
            Err(e) => Err(Failure::from_js(&e)),
        })
    }

    /// Takes the generation an append read: a head guessed in another generation says nothing.
    /// Nothing is learned while a reset is under way: what a transaction of the closing
    /// connection read may already be gone.
    fn learn_generation(&self, generation: Generation) {
        if self.reconnecting.borrow().is_some() {
            return;
        }
        if self.generation.get() != Some(generation) {
            self.head_hint.set(None);
            self.seen.borrow_mut().clear();
        }
        self.generation.set(Some(generation));
    }

    /// Keeps what an append stored as the next append's guess (its head, its stream's version),
    /// tells this handle's own listeners, and gives what other handles are to be told.
    fn settled(&self, stream: &StreamId, stored: &[EventEnvelope]) -> Option<Change> {
        let last = stored.last()?;
        // Kept as a guess only while its connection lasts (see `Shared::learn_generation`).
        if self.reconnecting.borrow().is_none() {
            self.head_hint.set(Some(last.event_id));
            let mut seen = self.seen.borrow_mut();
            if seen.len() >= SEEN_LIMIT && !seen.contains_key(stream) {
                seen.clear();
            }
            seen.insert(stream.clone(), last.version);
        }
        self.notifier.notify(last.event_id);
        Some(Change::Appended {
            stream: stream.clone(),
            head: last.event_id,
            count: stored.len() as u64,
        })
    }

    /// Issues a read (`issue` makes its request) in the readonly transaction the reads of this
    /// moment share, or in a new one when that has become inactive (the browser refuses a request
    /// then, and this one goes in a transaction of its own, which later reads may share).
    ///
    /// Reads made together, as several commands loading their aggregates at once, then cost one
    /// transaction instead of one each. A shared transaction sees the database as it was when the
    /// transaction began, like one of its own: a write this page has seen committed was committed
    /// before it began (IndexedDB starts a readwrite transaction only after the readonly ones made
    /// before it have finished), so a read never misses it.
    ///
    /// The requests still pending in the current shared transaction are counted: an append made
    /// meanwhile waits for the transaction's end (when the appends waiting start together), since
    /// its readwrite transaction could not start before then anyway.
    fn read(
        shared: &Rc<Shared>,
        issue: impl Fn(&IdbTransaction) -> Result<IdbRequest, JsValue>,
    ) -> Result<Pending, StoreError> {
        let reused = match shared.reads.borrow().as_ref() {
            Some(tx) if shared.closed.get().is_none() => issue(tx).ok(),
            _ => None,
        };
        let request = match reused {
            Some(request) => request,
            None => {
                let tx = shared.transaction(
                    &[EVENTS, CHECKPOINTS, SNAPSHOTS, PARTS],
                    IdbTransactionMode::Readonly,
                )?;
                let request = issue(&tx).map_err(unavailable)?;
                let generation = shared.read_generation.get() + 1;
                shared.read_generation.set(generation);
                shared.reads_pending.set(0);
                // Its end, completed or aborted, starts the appends that waited for it.
                let ended = Closure::once_into_js({
                    let shared = Rc::clone(shared);
                    move || {
                        if shared.read_generation.get() == generation {
                            shared.reads_pending.set(0);
                        }
                        if !shared.queue.borrow().busy {
                            next_group(&shared);
                        }
                    }
                });
                for event in ["complete", "abort"] {
                    tx.add_event_listener_with_callback(event, ended.unchecked_ref())
                        .map_err(unavailable)?;
                }
                *shared.reads.borrow_mut() = Some(tx);
                request
            }
        };
        let pending = Pending::new(&request);
        shared.reads_pending.set(shared.reads_pending.get() + 1);
        let generation = shared.read_generation.get();
        let settled = Closure::once_into_js({
            let shared = Rc::clone(shared);
            move || {
                if shared.read_generation.get() == generation {
                    shared
                        .reads_pending
                        .set(shared.reads_pending.get().saturating_sub(1));
                }
            }
        });
        for event in ["success", "error"] {
            request
                .add_event_listener_with_callback(event, settled.unchecked_ref())
                .map_err(unavailable)?;
        }
        Ok(pending)
    }

    /// Commits the appends that waited, in the order they were made, and answers each.
    async fn commit_group(&self, group: Vec<Waiting>) {
        // While a reset is under way, the group waits for the new connection.
        if let Err(error) = self.connected().await {
            for waiting in group {
                let _ = waiting.reply.send(Err(error.clone()));
            }
            return;
        }
        let group = if group.len() > 1 {
            match self.append_together(group).await {
                Ok(()) => return,
                // The transaction as a whole failed and stored nothing: each is made again alone,
                // so each gets its own outcome (a conflict with another tab only where it is one).
                Err(group) => group,
            }
        } else {
            group
        };
        for waiting in group {
            let outcome = self
                .append_alone(&waiting.stream, waiting.expected, waiting.events)
                .await;
            let change = match &outcome {
                Ok(stored) => self.settled(&waiting.stream, stored),
                Err(_) => None,
            };
            // A caller that stopped waiting needs no answer. The other tabs are told after the
            // caller is answered (see `Channel::post_all`).
            let _ = waiting.reply.send(outcome);
            self.channel.post_all(change.into_iter().collect());
        }
    }

    /// The whole group in one readwrite transaction, answering every member once it has
    /// committed; the group back, untouched and unanswered, when the transaction failed (nothing
    /// of it was stored).
    async fn append_together(&self, group: Vec<Waiting>) -> Result<(), Vec<Waiting>> {
        let outcomes = match self.write_together(&group).await {
            Ok(outcomes) => outcomes,
            Err(_) => return Err(group),
        };
        let mut changes = Vec::new();
        for (waiting, outcome) in group.iter().zip(&outcomes) {
            if let Ok(stored) = outcome {
                changes.extend(self.settled(&waiting.stream, stored));
            }
        }
        for (waiting, outcome) in group.into_iter().zip(outcomes) {
            let _ = waiting.reply.send(outcome);
        }
        // The other tabs are told of the whole transaction in one post, after its members are
        // answered.
        self.channel.post_all(changes);
        Ok(())
    }

    /// Reads every stream's version and the head, then checks and numbers each member in turn
    /// (see [`plan_group`]) and issues its writes. Each member's outcome once the transaction has
    /// committed; an error when it did not (then nothing was stored).
    ///
    /// As a single append does, with a guess of the head and of each stream's version (what its
    /// first member states) the writes are issued at once, queued behind the reads, and kept only
    /// if the reads confirm every guess; otherwise the transaction is aborted (nothing stored) and
    /// the group is made again from what was read.
    async fn write_together(&self, group: &[Waiting]) -> Result<Vec<Appended>, StoreError> {
        // Each member's slot: the index of its stream among the group's streams.
        let mut streams: Vec<&StreamId> = Vec::new();
        let mut slots = Vec::with_capacity(group.len());
        let mut guessed = Vec::new();
        for waiting in group {
            let slot = match streams.iter().position(|s| **s == waiting.stream) {
                Some(slot) => slot,
                None => {
                    streams.push(&waiting.stream);
                    guessed.push(waiting.expected.version());
                    streams.len() - 1
                }
            };
            slots.push(slot);
        }
        let mut guess = self
            .head_hint
            .get()
            .zip(guessed.into_iter().collect::<Option<Vec<u64>>>());
        // Every member sure of its stream in the generation this handle knows, and a head it
        // wrote in it: as for one such append (see `append_unread`), nothing is read.
        let known = self.generation.get();
        let sure = group
            .iter()
            .all(|waiting| self.unread_generation(&waiting.stream, waiting.expected) == known);
        if let (true, Some((head, versions)), Some(generation)) = (sure, &guess, known) {
            return self
                .write_unread(group, &slots, versions.clone(), *head, generation)
                .await;
        }
        loop {
            self.connected().await?;
            let tx = self.append_transaction()?;
            let done = Completion::new(&tx);
            // Every read is issued before any is awaited: one round trip for all of them.
            let reads = streams
                .iter()
                .map(|stream| last_version_request(&tx, stream))
                .collect::<Result<Vec<_>, _>>()?;
            let last_event = last_event_request(&tx)?;
            let generation_read = generation_request(&tx)?;
            // The writes issued on a guess are kept only if the generation is the one this handle
            // last saw, so the guessed plan's checks are the ones the reads would make.
            let known = self.generation.get();
            let early = match guess.take().filter(|_| known.is_some()) {
                Some((head, versions)) => {
                    let planned = plan_group(group, &slots, versions.clone(), head, known);
                    issue_group(&tx, &planned)?;
                    Some((head, versions, planned))
                }
                None => None,
            };
            let mut versions = Vec::with_capacity(reads.len());
            for read in reads {
                versions.push(cursor_version(read.outcome().await.map_err(reading)?)?);
            }
            let head = cursor_event_id(last_event.outcome().await.map_err(reading)?)?;
            let generation = Some(generation_of(
                generation_read.outcome().await.map_err(reading)?,
            )?);
            if let Some(generation) = generation {
                self.learn_generation(generation);
            }
            let planned = match early {
                Some((h, v, planned)) if h == head && v == versions && known == generation => {
                    planned
                }
                Some(_) => {
                    // Another handle wrote meanwhile: undo, and plan from what was read.
                    let _ = tx.abort();
                    continue;
                }
                None => {
                    let planned = plan_group(group, &slots, versions, head, generation);
                    issue_group(&tx, &planned)?;
                    planned
                }
            };
            done.outcome()
                .await
                .map_err(|f| f.into_store_error("storing the events"))?;
            return Ok(planned
                .into_iter()
                .map(|p| p.map(|(stored, _)| stored))
                .collect());
        }
    }

    /// A group whose every member is on a kept state of `generation`, with `head` this handle's
    /// own last: the writes are planned from the kept versions and issued at once, reading nothing
    /// (see [`Shared::write_guarded`]). An error (nothing stored) when a key or the stream index
    /// refused a write because another writer came first; the members are then made again one by
    /// one, the way that reads.
    async fn write_unread(
        &self,
        group: &[Waiting],
        slots: &[usize],
        versions: Vec<u64>,
        head: u64,
        generation: Generation,
    ) -> Result<Vec<Appended>, StoreError> {
        let planned = plan_group(group, slots, versions, head, Some(generation));
        let records: Array = planned
            .iter()
            .flatten()
            .flat_map(|(_, records)| records)
            .collect();
        match self.write_guarded(&records).await? {
            Ok(()) => Ok(planned
                .into_iter()
                .map(|p| p.map(|(stored, _)| stored))
                .collect()),
            Err(f) => Err(f.into_store_error("storing the events")),
        }
    }
}

/// One member's plan in a group: its envelopes and their records, or why nothing of it is stored.
type Planned = Result<(Vec<EventEnvelope>, Vec<JsValue>), StoreError>;

/// Checks and numbers each member of `group` in turn, its stream (`slots` index `versions`) at
/// the version in `versions`, the log at `head` and the store at `generation`: each all or nothing
/// for its own stream, a member that fails its check storing nothing, ids consecutive across the
/// group in the members' order, and a second append to a stream checked against the version the
/// first leaves.
fn plan_group(
    group: &[Waiting],
    slots: &[usize],
    mut versions: Vec<u64>,
    mut head: u64,
    generation: Option<Generation>,
) -> Vec<Planned> {
    group
        .iter()
        .zip(slots)
        .map(|(waiting, &slot)| {
            let actual = versions[slot];
            if !waiting.expected.admits(actual, generation) {
                return Err(StoreError::Conflict {
                    stream: waiting.stream.clone(),
                    expected: waiting.expected,
                    actual,
                });
            }
            let stored = number_batch(&waiting.stream, head, actual, waiting.events.clone());
            let records = stored
                .iter()
                .map(event_record)
                .collect::<Result<Vec<_>, _>>()?;
            let count = stored.len() as u64;
            head += count;
            versions[slot] = actual + count;
            Ok((stored, records))
        })
        .collect()
}

/// Issues the `add` of every record of the members that go ahead (nothing is awaited), aborting
/// `tx` if one cannot be issued: part of a member may be, so the whole group is undone.
fn issue_group(tx: &IdbTransaction, planned: &[Planned]) -> Result<(), StoreError> {
    let store = tx.object_store(EVENTS).map_err(unavailable)?;
    for (_, records) in planned.iter().flatten() {
        for record in records {
            if let Err(e) = store.add(record) {
                let _ = tx.abort();
                return Err(Failure::from_js(&e).into_store_error("storing the events"));
            }
        }
    }
    Ok(())
}

impl Drop for IndexedDbStore {
    /// Closes the connection so the database can later be deleted or upgraded without waiting.
    fn drop(&mut self) {
        let db = self.shared.db.borrow();
        db.set_onversionchange(None);
        db.set_onclose(None);
        db.close();
        drop(db);
        // A reconnection still under way closes what it opens (see `Shared::reconnected`).
        self.shared.handlers.borrow_mut().take();
    }
}

/// Inside the open request's upgrade transaction: resets the store when `old_version` is of this
/// [`FORMAT`] (see [`reset_from`]); otherwise brings the schema from `old_version` (0 for a new
/// database) to this format, one step at a time.
fn upgrade_schema(request: &IdbOpenDbRequest, old_version: f64) -> Result<(), JsValue> {
    if format_of(old_version) == FORMAT {
        // A reset (see `reset_from`): every store emptied, and a fresh generation, so a state kept
        // from before it is never taken for one after it, in this tab or another.
        let tx = request
            .transaction()
            .ok_or_else(|| JsValue::from_str("an upgrade without its transaction"))?;
        for name in [EVENTS, CHECKPOINTS, SNAPSHOTS, PARTS] {
            tx.object_store(name)?.clear()?;
        }
        let generation = key_number(fresh_generation().0);
        tx.object_store(META)?
            .put_with_key(&generation, &JsValue::from_str(GENERATION))?;
        return Ok(());
    }
    let db: IdbDatabase = request.result()?.dyn_into()?;
    if old_version < 1.0 {
        create_version_1(&db)?;
    }
    if old_version < 2.0 {
        db.create_object_store_with_optional_parameters(
            SNAPSHOTS,
            &compound_key(&["entity_type", "entity_id"]),
        )?;
    }
    if old_version < 3.0 {
        db.create_object_store_with_optional_parameters(
            PARTS,
            &compound_key(&["subscriber", "map", "key"]),
        )?;
    }
    if old_version < 4.0 {
        // Out-of-line keys: a record is a bare value under its name.
        db.create_object_store(META)?;
    }
    Ok(())
}

/// Version 1: the events with their unique stream index, and the checkpoints.
/// An object store's parameters keyed by the array of `columns`.
fn compound_key(columns: &[&str]) -> IdbObjectStoreParameters {
    let parameters = IdbObjectStoreParameters::new();
    let key: Array = columns.iter().map(|c| JsValue::from_str(c)).collect();
    parameters.set_key_path(&key);
    parameters
}

fn create_version_1(db: &IdbDatabase) -> Result<(), JsValue> {
    let events = IdbObjectStoreParameters::new();
    events.set_key_path(&JsValue::from_str("event_id"));
    let store = db.create_object_store_with_optional_parameters(EVENTS, &events)?;
    let unique = IdbIndexParameters::new();
    unique.set_unique(true);
    let columns: Array = ["entity_type", "entity_id", "version"]
        .iter()
        .map(|c| JsValue::from_str(c))
        .collect();
    store.create_index_with_str_sequence_and_optional_parameters(
        STREAM_INDEX,
        &columns,
        &unique,
    )?;
    let checkpoints = IdbObjectStoreParameters::new();
    checkpoints.set_key_path(&JsValue::from_str("subscriber"));
    db.create_object_store_with_optional_parameters(CHECKPOINTS, &checkpoints)?;
    Ok(())
}

impl EventStore for IndexedDbStore {
    fn backend(&self) -> Backend {
        Backend::IndexedDb
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        // Group commit: every append waits one microtask for the others made at the same moment
        // (the commands a batch of deliveries or learners' clicks started together), and those
        // made while one is in flight wait for its end; then they go together in one readwrite
        // transaction, each checked against its own expected version (see
        // `Shared::write_together`): one transaction instead of one each. One made on its own
        // goes alone, one microtask later.
        let (outcome, start) = {
            let mut queue = self.shared.queue.borrow_mut();
            let (reply, outcome) = oneshot::channel();
            queue.waiting.push(Waiting {
                stream: stream.clone(),
                expected,
                events,
                reply,
            });
            // While other reads of this handle are still pending, a readwrite transaction could
            // not start before their transaction ends anyway: the append waits for that end (see
            // `Shared::read`), which starts the group.
            (outcome, !queue.busy && self.shared.reads_pending.get() == 0)
        };
        if start {
            next_group(&self.shared);
        }
        outcome.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the events were not stored: the store stopped before their turn".into(),
            ))
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.shared.connected().await?;
        let range = stream_range(stream, after_version)?;
        let request = Shared::read(&self.shared, |tx| {
            tx.object_store(EVENTS)?
                .index(STREAM_INDEX)?
                .get_all_with_key(&range)
        })?;
        from_records(request.outcome().await.map_err(reading)?)
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.shared.connected().await?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Only the page asked for is read: event ids after the position, at most `limit` of them.
        let range = IdbKeyRange::lower_bound_with_open(&key_number(after_position), true)
            .map_err(unavailable)?;
        let request = Shared::read(&self.shared, |tx| {
            let store = tx.object_store(EVENTS)?;
            match u32::try_from(limit) {
                Ok(limit) => store.get_all_with_key_and_limit(&range, limit),
                Err(_) => store.get_all_with_key(&range),
            }
        })?;
        from_records(request.outcome().await.map_err(reading)?)
    }

    async fn head(&self) -> Result<u64, StoreError> {
        self.shared.connected().await?;
        let last = Shared::read(&self.shared, |tx| {
            tx.object_store(EVENTS)?
                .open_key_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)
        })?;
        cursor_event_id(last.outcome().await.map_err(reading)?)
    }

    async fn load_checkpoint(&self, subscriber: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self
            .load_view(subscriber)
            .await?
            .map(|(checkpoint, _)| checkpoint))
    }

    async fn load_view(
        &self,
        subscriber: &str,
    ) -> Result<Option<(Checkpoint, Option<ViewMark>)>, StoreError> {
        self.shared.connected().await?;
        // Both requests go in the one read transaction: the documents belong to that record.
        let key = JsValue::from_str(subscriber);
        let range = parts_of(subscriber)?;
        let record = Shared::read(&self.shared, |tx| tx.object_store(CHECKPOINTS)?.get(&key))?;
        let parts = Shared::read(&self.shared, |tx| {
            tx.object_store(PARTS)?.get_all_with_key(&range)
        })?;
        let record = record.outcome().await.map_err(reading)?;
        let parts = parts.outcome().await.map_err(reading)?;
        if record.is_undefined() {
            return Ok(None);
        }
        let corrupt =
            |e: &dyn Display| StoreError::Corrupt(format!("checkpoint of {subscriber}: {e}"));
        let mut checkpoint: Checkpoint =
            serde_wasm_bindgen::from_value(record.clone()).map_err(|e| corrupt(&e))?;
        let Some(stamp) = stamp_of(&record) else {
            return Ok(Some((checkpoint, None)));
        };
        let parts: Array = parts
            .dyn_into()
            .map_err(|v| corrupt(&format!("its documents are {v:?}")))?;
        // Every document in one transfer (see `records.js`).
        let packed = pack_parts(&parts)
            .as_string()
            .ok_or_else(|| corrupt(&"a document record is not one the store writes"))?;
        let mut fields = packed.split('\0');
        let mut documents = Vec::with_capacity(parts.length() as usize);
        while let (Some(map), Some(key), Some(json)) = (fields.next(), fields.next(), fields.next())
        {
            documents.push((map, key, json));
        }
        checkpoint.state = assemble(&checkpoint.state, documents).map_err(|e| corrupt(&e.0))?;
        let mark = ViewMark {
            subscriber: subscriber.to_string(),
            position: checkpoint.position,
            stamp,
        };
        Ok(Some((checkpoint, Some(mark))))
    }

    fn saves_views_in_parts(&self) -> bool {
        true
    }

    async fn save_view(&self, save: &ViewSave<'_>) -> Result<Option<ViewMark>, StoreError> {
        self.shared.connected().await?;
        let failed = |f: Failure| f.into_store_error("saving a view");
        let stamp = self.shared.next_stamp();
        let record = to_record(
            &ViewRecord {
                subscriber: save.subscriber,
                position: save.position,
                state: save.head,
                stamp: &stamp,
            },
            format_args!("the checkpoint of {}", save.subscriber),
        )?;
        let mut documents = Vec::with_capacity(save.parts.len());
        for part in save.parts {
            documents.push(match &part.json {
                Some(json) => Ok(part_record(save.subscriber, part.map, &part.key, json)),
                None => Err(part_key(save.subscriber, part.map, &part.key)),
            });
        }
        // One readwrite transaction: what the store holds of the view is read first, every write
        // is issued at once behind it, and the whole transaction is aborted (nothing written) if
        // the save may not replace what was read. Readwrite transactions on `checkpoints` run one
        // after another, across tabs too, so nothing can come between the check and the writes.
        let tx = self.transaction(&[CHECKPOINTS, PARTS], IdbTransactionMode::Readwrite)?;
        let done = Completion::new(&tx);
        let checkpoints = tx.object_store(CHECKPOINTS).map_err(unavailable)?;
        let parts = tx.object_store(PARTS).map_err(unavailable)?;
        let held = match save.replacing {
            Replacing::Anything => None,
            Replacing::Save(_) | Replacing::NotFurther => Some(Pending::new(
                &checkpoints
                    .get(&JsValue::from_str(save.subscriber))
                    .map_err(unavailable)?,
            )),
        };
        let every_part = parts_of(save.subscriber)?;
        let issued = (|| {
            if !matches!(save.replacing, Replacing::Save(_)) {
                parts.delete(&every_part)?;
            }
            for document in &documents {
                match document {
                    Ok(record) => parts.put(record)?,
                    Err(key) => parts.delete(key)?,
                };
            }
            checkpoints.put(&record)
        })();
        if let Err(e) = issued {
            let _ = tx.abort();
            return Err(failed(Failure::from_js(&e)));
        }
        if let Some(held) = held {
            let record = held.outcome().await.map_err(reading)?;
            let fields = checkpoint_fields(&record)
                .and_then(|(position, head)| Some((position, head.as_string()?)));
            let stamp = stamp_of(&record);
            let held = fields.as_ref().map(|(position, head)| HeldView {
                position: *position,
                head,
                stamp: stamp.as_deref(),
            });
            if !save.may_replace(held) {
                let _ = tx.abort();
                return Ok(None);
            }
        }
        done.outcome().await.map_err(failed)?;
        self.shared.channel.post(Change::CheckpointSaved {
            subscriber: save.subscriber.to_string(),
        });
        Ok(Some(ViewMark {
            subscriber: save.subscriber.to_string(),
            position: save.position,
            stamp,
        }))
    }

    async fn holds_view(&self, mark: &ViewMark) -> Result<bool, StoreError> {
        self.shared.connected().await?;
        let Some(record) = self.checkpoint_record(&mark.subscriber).await? else {
            return Ok(false);
        };
        Ok(
            checkpoint_fields(&record).is_some_and(|(position, _)| position == mark.position)
                && stamp_of(&record).is_some_and(|stamp| stamp == mark.stamp),
        )
    }

    async fn load_position(&self, subscriber: &str) -> Result<Option<u64>, StoreError> {
        self.shared.connected().await?;
        let Some(record) = self.checkpoint_record(subscriber).await? else {
            return Ok(None);
        };
        // The same shape load_checkpoint accepts, checked in place: the saved view (`state`, which
        // grows with the log) is never copied into wasm.
        match checkpoint_fields(&record) {
            Some((position, _)) => Ok(Some(position)),
            None => Err(StoreError::Corrupt(format!(
                "checkpoint of {subscriber}: not a checkpoint record"
            ))),
        }
    }

    async fn holds_checkpoint(&self, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        self.shared.connected().await?;
        let Some(record) = self.checkpoint_record(&checkpoint.subscriber).await? else {
            return Ok(false);
        };
        // Compared as JS values (`===` on the strings): the saved view is not decoded. A record
        // that is not a checkpoint is simply not this one; loading it says what is wrong.
        Ok(checkpoint_fields(&record).is_some_and(|(position, state)| {
            position == checkpoint.position && state == JsValue::from_str(&checkpoint.state)
        }))
    }

    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.shared.connected().await?;
        let record = to_record(
            checkpoint,
            format_args!("the checkpoint of {}", checkpoint.subscriber),
        )?;
        // A checkpoint saved whole replaces a view saved in parts: its documents go with it.
        let tx = self.transaction(&[CHECKPOINTS, PARTS], IdbTransactionMode::Readwrite)?;
        let done = Completion::new(&tx);
        let range = parts_of(&checkpoint.subscriber)?;
        tx.object_store(CHECKPOINTS)
            .and_then(|s| s.put(&record))
            .and_then(|_| tx.object_store(PARTS)?.delete(&range))
            .map_err(|e| Failure::from_js(&e).into_store_error("saving a checkpoint"))?;
        done.outcome()
            .await
            .map_err(|f| f.into_store_error("saving a checkpoint"))?;
        self.shared.channel.post(Change::CheckpointSaved {
            subscriber: checkpoint.subscriber.clone(),
        });
        Ok(())
    }

    async fn save_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.shared.connected().await?;
        let record = to_record(
            snapshot,
            format_args!("the snapshot of {}", snapshot.stream()),
        )?;
        let tx = self.transaction(&[SNAPSHOTS], IdbTransactionMode::Readwrite)?;
        let done = Completion::new(&tx);
        tx.object_store(SNAPSHOTS)
            .and_then(|s| s.put(&record))
            .map_err(|e| Failure::from_js(&e).into_store_error("saving a snapshot"))?;
        done.outcome()
            .await
            .map_err(|f| f.into_store_error("saving a snapshot"))?;
        self.shared.channel.post(Change::SnapshotSaved {
            stream: snapshot.stream(),
        });
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.shared.connected().await?;
        let key: Array = [
            JsValue::from_str(&stream.entity_type),
            JsValue::from_str(&stream.entity_id),
        ]
        .into_iter()
        .collect();
        let request = Shared::read(&self.shared, |tx| tx.object_store(SNAPSHOTS)?.get(&key))?;
        let record = request.outcome().await.map_err(reading)?;
        if record.is_undefined() {
            return Ok(None);
        }
        serde_wasm_bindgen::from_value(record)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("the snapshot of {stream}: {e}")))
    }

    async fn clear(&self) -> Result<(), StoreError> {
        let shared = &self.shared;
        shared.connected().await?;
        // A reset is the database's next version, which IndexedDB opens only once every other
        // connection has closed (each handle then opens a new one, see `Shared::reconnect`): no
        // connection that knew the store before the reset outlives it. Its upgrade transaction
        // empties the stores and writes a fresh generation (see `upgrade_schema`).
        let from = shared.db.borrow().version() as u32;
        shared.begin_reconnecting();
        shared.db.borrow().close();
        match reset_from(&shared.name, from).await {
            Ok(db) => shared.reconnected(db),
            Err(error) => {
                shared.take_current(open_current(&shared.name, from).await);
                return Err(error);
            }
        }
        shared.channel.post(Change::Cleared);
        Ok(())
    }

    fn generation(&self) -> Option<Generation> {
        self.shared.generation.get()
    }

    fn subscribe(&self, listener: Listener) {
        self.shared.notifier.subscribe(listener);
    }
}

/// A view's checkpoint record: the head in `state`, and the stamp of the save.
#[derive(Serialize)]
struct ViewRecord<'a> {
    subscriber: &'a str,
    position: u64,
    state: &'a str,
    stamp: &'a str,
}

/// The stamp of a view's save, in its checkpoint record (none in a checkpoint saved whole).
fn stamp_of(record: &JsValue) -> Option<String> {
    js_sys::Reflect::get(record, &JsValue::from_str("stamp"))
        .ok()?
        .as_string()
}

/// A document's key in `parts`.
fn part_key(subscriber: &str, map: &str, key: &str) -> JsValue {
    [subscriber, map, key]
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

/// Every document of `subscriber`'s view: keys `[subscriber, …]`, from `[subscriber]` (below any
/// of them) to `[subscriber, []]` (an array sorts above every string).
fn parts_of(subscriber: &str) -> Result<IdbKeyRange, StoreError> {
    let lower: Array = [JsValue::from_str(subscriber)].into_iter().collect();
    let upper: Array = [JsValue::from_str(subscriber), Array::new().into()]
        .into_iter()
        .collect();
    IdbKeyRange::bound(&lower, &upper).map_err(unavailable)
}

/// A checkpoint record's position and its saved view (a JS string, not copied into wasm), if the
/// record has the shape the store writes.
fn checkpoint_fields(record: &JsValue) -> Option<(u64, JsValue)> {
    let field = |name: &str| js_sys::Reflect::get(record, &JsValue::from_str(name)).ok();
    if !record.is_object() || !field("subscriber").is_some_and(|v| v.is_string()) {
        return None;
    }
    let position = whole_number(&field("position")?)?;
    let state = field("state").filter(|v| v.is_string())?;
    Some((position, state))
}

/// A reverse key cursor on the stream index: its first key is the stream's last version.
fn last_version_request(tx: &IdbTransaction, stream: &StreamId) -> Result<Pending, StoreError> {
    let index = tx
        .object_store(EVENTS)
        .and_then(|s| s.index(STREAM_INDEX))
        .map_err(unavailable)?;
    let range = stream_range(stream, 0)?;
    let request = index
        .open_key_cursor_with_range_and_direction(&range, IdbCursorDirection::Prev)
        .map_err(unavailable)?;
    Ok(Pending::new(&request))
}

/// A `getAll` or `getAllKeys` request's answer, as the array it must be.
fn list_of(value: JsValue) -> Result<Array, StoreError> {
    value
        .dyn_into()
        .map_err(|v| StoreError::Corrupt(format!("expected a list of records, got {v:?}")))
}

/// A `get` of the store's generation in `meta`.
fn generation_request(tx: &IdbTransaction) -> Result<Pending, StoreError> {
    let request = tx
        .object_store(META)
        .and_then(|s| s.get(&JsValue::from_str(GENERATION)))
        .map_err(unavailable)?;
    Ok(Pending::new(&request))
}

/// The generation a [`generation_request`] read: 0 for a store not reset since it had one.
fn generation_of(record: JsValue) -> Result<Generation, StoreError> {
    if record.is_undefined() {
        return Ok(Generation(0));
    }
    whole_number(&record).map(Generation).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "the store's generation is {record:?}, not a whole number"
        ))
    })
}

/// A generation no reset gave before (with odds of a repeat far below any other failure's): a
/// random whole number from 1 to 2^52.
fn fresh_generation() -> Generation {
    Generation(1 + (js_sys::Math::random() * 2f64.powi(52)) as u64)
}

/// A reverse key cursor on `events`: its first key is the head.
fn last_event_request(tx: &IdbTransaction) -> Result<Pending, StoreError> {
    let request = tx
        .object_store(EVENTS)
        .and_then(|s| {
            s.open_key_cursor_with_range_and_direction(&JsValue::NULL, IdbCursorDirection::Prev)
        })
        .map_err(unavailable)?;
    Ok(Pending::new(&request))
}

/// Index keys `[entity_type, entity_id, v]` with `after_version < v`: exactly that stream's events
/// from the next version on (infinity is a valid key and above every version).
fn stream_range(stream: &StreamId, after_version: u64) -> Result<IdbKeyRange, StoreError> {
    let key = |version: JsValue| -> Array {
        [
            JsValue::from_str(&stream.entity_type),
            JsValue::from_str(&stream.entity_id),
            version,
        ]
        .into_iter()
        .collect()
    };
    IdbKeyRange::bound_with_lower_open_and_upper_open(
        &key(key_number(after_version)),
        &key(JsValue::from_f64(f64::INFINITY)),
        true,
        false,
    )
    .map_err(unavailable)
}

/// The version in a stream-index cursor's key, or 0 when the stream has no events.
fn cursor_version(cursor: JsValue) -> Result<u64, StoreError> {
    if cursor.is_null() {
        return Ok(0);
    }
    let key = cursor
        .unchecked_into::<IdbCursor>()
        .key()
        .map_err(unavailable)?;
    let version = js_sys::Reflect::get_u32(&key, 2).map_err(unavailable)?;
    whole_number(&version)
        .ok_or_else(|| StoreError::Corrupt(format!("a stream index key has version {version:?}")))
}

/// The event id a cursor on `events` points at, or 0 when the log is empty.
fn cursor_event_id(cursor: JsValue) -> Result<u64, StoreError> {
    if cursor.is_null() {
        return Ok(0);
    }
    let key = cursor
        .unchecked_into::<IdbCursor>()
        .key()
        .map_err(unavailable)?;
    whole_number(&key).ok_or_else(|| StoreError::Corrupt(format!("an event has the id {key:?}")))
}

fn whole_number(value: &JsValue) -> Option<u64> {
    let n = value.as_f64()?;
    // In range and whole, so the conversion is exact.
    ((0.0..=MAX_SAFE_INTEGER).contains(&n) && n.fract() == 0.0).then_some(n as u64)
}

/// A position or version as a key. Values above 2^53 are rounded, which is harmless for a range
/// bound: no stored key can be that large (see [`to_record`]).
fn key_number(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// An envelope or checkpoint as a plain JS object with the same fields. Integers become JS numbers,
/// not BigInts, so they can be keys; a value beyond 2^53 is refused rather than silently rounded.
/// `what` names the value in the error.
fn to_record<T: Serialize>(value: &T, what: impl Display) -> Result<JsValue, StoreError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true))
        .map_err(|e| StoreError::Unavailable(format!("{what} cannot be stored: {e}")))
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/browser/records.js")]
extern "C" {
    /// `[strings joined by NUL, Float64Array of numbers]` for plain records, `null` otherwise.
    #[wasm_bindgen(js_name = packRecords)]
    fn pack_records(records: &Array) -> JsValue;

    /// Map, key and JSON of every document record joined by NUL, or `null` for a record of
    /// another shape.
    #[wasm_bindgen(js_name = packParts)]
    fn pack_parts(records: &Array) -> JsValue;

    /// A document record of a view saved in parts.
    #[wasm_bindgen(js_name = partRecord)]
    fn part_record(subscriber: &str, map: &str, key: &str, json: &str) -> JsValue;

    /// The guarded write of an append (see [`Shared::write_guarded`]).
    #[wasm_bindgen(js_name = appendGuarded)]
    fn append_guarded(
        db: &IdbDatabase,
        events: &str,
        probe_store: &str,
        records: &Array,
    ) -> Promise;

    /// Whether this browser aborts a transaction told to commit when a write in it is then
    /// refused (see `records.js`; asked once per page); resolves with a boolean.
    #[wasm_bindgen(js_name = earlyCommitIsSafe)]
    fn early_commit_is_safe(db: &IdbDatabase, store: &str) -> Promise;

    /// A plain record with the envelope's fields (see [`event_record`]).
    #[wasm_bindgen(js_name = eventRecord)]
    #[allow(clippy::too_many_arguments)]
    fn make_event_record(
        event_id: f64,
        entity_type: &str,
        entity_id: &str,
        version: f64,
        event_type: &str,
        schema_version: u32,
        event_data: &str,
        recorded_at: f64,
        actor: &str,
        correlation_id: &str,
        causation_id: JsValue,
    ) -> JsValue;
}

/// Issues an `add` of every envelope in `tx` (nothing is awaited), aborting `tx` if one cannot be
/// issued. `add` (not `put`) also refuses to replace an existing event id.
fn add_all(tx: &IdbTransaction, stored: &[EventEnvelope]) -> Result<(), StoreError> {
    let store = tx.object_store(EVENTS).map_err(unavailable)?;
    for envelope in stored {
        let record = event_record(envelope).inspect_err(|_| {
            let _ = tx.abort();
        })?;
        if let Err(e) = store.add(&record) {
            let _ = tx.abort();
            return Err(Failure::from_js(&e).into_store_error("storing the events"));
        }
    }
    Ok(())
}

/// An envelope as its record: what [`to_record`] makes, in one call to `records.js`. A number
/// beyond 2^53 goes through [`to_record`], which refuses it with an error.
fn event_record(envelope: &EventEnvelope) -> Result<JsValue, StoreError> {
    let safe = |n: u64| n as f64 <= MAX_SAFE_INTEGER;
    let m = &envelope.metadata;
    if !(safe(envelope.event_id)
        && safe(envelope.version)
        && envelope.recorded_at.unsigned_abs() <= MAX_SAFE_INTEGER as u64
        && m.causation_id.is_none_or(safe))
    {
        return to_record(envelope, format_args!("event {}", envelope.event_id));
    }
    Ok(make_event_record(
        envelope.event_id as f64,
        &envelope.entity_type,
        &envelope.entity_id,
        envelope.version as f64,
        &envelope.event_type,
        envelope.schema_version,
        &envelope.event_data,
        envelope.recorded_at as f64,
        &m.actor,
        &m.correlation_id,
        m.causation_id
            .map_or(JsValue::NULL, |c| JsValue::from_f64(c as f64)),
    ))
}

/// The envelopes in a `getAll` result.
///
/// Records of the shape [`to_record`] writes are read in two transfers (see `records.js`); a
/// record of any other shape makes the whole list go through [`from_record`], one by one, which
/// names what is wrong.
fn from_records(records: JsValue) -> Result<Vec<EventEnvelope>, StoreError> {
    let records: Array = records
        .dyn_into()
        .map_err(|v| StoreError::Corrupt(format!("expected a list of events, got {v:?}")))?;
    if let Some(events) = unpack_records(&records) {
        return Ok(events);
    }
    records.iter().map(from_record).collect()
}

/// The packed form of `records`, decoded; `None` when any record is not plain or a number is out
/// of its field's range.
fn unpack_records(records: &Array) -> Option<Vec<EventEnvelope>> {
    let n = records.length() as usize;
    if n == 0 {
        return Some(Vec::new());
    }
    let packed: Array = pack_records(records).dyn_into().ok()?;
    let text = packed.get(0).as_string()?;
    let numbers = js_sys::Float64Array::new(&packed.get(1)).to_vec();
    if numbers.len() != n * 5 {
        return None;
    }
    let mut strings = text.split('\0');
    let mut events = Vec::with_capacity(n);
    for number in numbers.chunks_exact(5) {
        let mut next = || strings.next().map(str::to_owned);
        let (entity_type, entity_id, event_type) = (next()?, next()?, next()?);
        let (event_data, actor, correlation_id) = (next()?, next()?, next()?);
        let causation_id = if number[4].is_nan() {
            None
        } else {
            Some(whole(number[4])?)
        };
        let recorded_at = number[3];
        if recorded_at.fract() != 0.0 || recorded_at.abs() > MAX_SAFE_INTEGER {
            return None;
        }
        events.push(EventEnvelope {
            event_id: whole(number[0])?,
            entity_type,
            entity_id,
            version: whole(number[1])?,
            event_type,
            schema_version: u32::try_from(whole(number[2])?).ok()?,
            event_data,
            recorded_at: recorded_at as i64,
            metadata: foldlab_domain::Metadata {
                actor,
                correlation_id,
                causation_id,
            },
        });
    }
    strings.next().is_none().then_some(events)
}

/// `n` as a whole number from 0 to 2^53 - 1.
fn whole(n: f64) -> Option<u64> {
    ((0.0..=MAX_SAFE_INTEGER).contains(&n) && n.fract() == 0.0).then_some(n as u64)
}

fn from_record(record: JsValue) -> Result<EventEnvelope, StoreError> {
    let id = js_sys::Reflect::get(&record, &JsValue::from_str("event_id")).unwrap_or_default();
    serde_wasm_bindgen::from_value(record).map_err(|e| match id.as_f64() {
        Some(id) => StoreError::Corrupt(format!("event #{id} in IndexedDB is not an event ({e})")),
        None => StoreError::Corrupt(format!("an event in IndexedDB has no event_id ({e})")),
    })
}

/// One record of `events` under `key`, read on its own: what of it can be told even when it is not
/// an event.
fn raw_event(key: &JsValue, value: JsValue) -> RawEvent {
    let filed_as = whole_number(key);
    let record = match filed_as {
        Some(id) => format!("event #{id}"),
        None => format!("the event under key {key:?}"),
    };
    let field = |name: &str| js_sys::Reflect::get(&value, &JsValue::from_str(name)).ok();
    let text = |name: &str| field(name).and_then(|v| v.as_string());
    let stream = text("entity_type")
        .zip(text("entity_id"))
        .map(|(t, id)| StreamId::new(t, id));
    let version = field("version").and_then(|v| whole_number(&v));
    let read = serde_wasm_bindgen::from_value::<EventEnvelope>(value).map_err(|e| NotAnEvent {
        why: e.to_string(),
        stream,
        version,
    });
    RawEvent {
        record,
        filed_as,
        read,
    }
}

fn unavailable(e: JsValue) -> StoreError {
    Failure::from_js(&e).into_store_error("using IndexedDB")
}

fn reading(f: Failure) -> StoreError {
    f.into_store_error("reading IndexedDB")
}

/// The outcome of one request, as a future.
///
/// The handlers are attached when this is created, not when it is first polled: a request issued
/// alongside another may finish while the first is awaited, and a lazily attached handler would
/// then never fire. Resolving through a promise keeps the continuation in a microtask of the success
/// event, while the transaction is still active, so the next request can join the same transaction.
struct Pending {
    request: IdbRequest,
    settled: JsFuture,
}

impl Pending {
    fn new(request: &IdbRequest) -> Self {
        let promise = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
        });
        Self {
            request: request.clone(),
            settled: JsFuture::from(promise),
        }
    }

    /// The request's result, or the error it failed with.
    async fn outcome(self) -> Result<JsValue, Failure> {
        match self.settled.await {
            Ok(_) => self.request.result().map_err(|e| Failure::from_js(&e)),
            Err(_) => Err(match self.request.error() {
                Ok(Some(e)) => Failure::from_js(&e),
                _ => Failure {
                    name: "UnknownError".into(),
                    message: "the request failed".into(),
                },
            }),
        }
    }
}

/// A transaction's end as a future: `Ok` once it has committed (only then is a write durable and
/// visible to other tabs), the abort reason otherwise. Created right after the transaction, before
/// any request, so neither event can be missed.
struct Completion {
    tx: IdbTransaction,
    settled: JsFuture,
}

impl Completion {
    fn new(tx: &IdbTransaction) -> Self {
        let promise = Promise::new(&mut |resolve, reject| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&reject));
        });
        Self {
            tx: tx.clone(),
            settled: JsFuture::from(promise),
        }
    }

    async fn outcome(self) -> Result<(), Failure> {
        match self.settled.await {
            Ok(_) => Ok(()),
            Err(_) => Err(match self.tx.error() {
                Some(e) => Failure::from_js(&e),
                None => Failure {
                    name: "AbortError".into(),
                    message: "the transaction was aborted".into(),
                },
            }),
        }
    }
}

impl IndexedDbStore {
    /// Writes events that already carry their ids and versions (a log the engine built in another
    /// store, for the benchmarks and their seeded labs) in one transaction: all of them or, if any
    /// id or stream version is already taken, none. The listeners are told of the new head.
    pub async fn write_log(&self, events: &[EventEnvelope]) -> Result<(), StoreError> {
        self.shared.connected().await?;
        let tx = self.transaction(&[EVENTS], IdbTransactionMode::Readwrite)?;
        let done = Completion::new(&tx);
        add_all(&tx, events)?;
        done.outcome()
            .await
            .map_err(|f| f.into_store_error("storing the events"))?;
        if let Some(last) = events.last() {
            self.shared.notifier.notify(last.event_id);
        }
        Ok(())
    }
}
