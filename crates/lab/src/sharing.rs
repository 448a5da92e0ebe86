//! Sharing a lab: the whole lab as one JSON file (events, checkpoints, snapshots, settings and the
//! app's journal) that can be exported and imported again, scenario files read from a person's
//! disk or a link, and the base64url a link carries a scenario in.
//!
//! An import trusts nothing. [`read_lab_file`] refuses, before anything is written, a file that is
//! too large (checked before parsing), nested too deeply (checked before parsing), not JSON, not a
//! lab export of this format version, of the wrong shape, or carrying markup or script in any text
//! (the field is named); [`check_folds`] then replays it into a memory store and refuses events
//! that do not fold. Only then may [`restore`] write it into the lab's store.

use crate::runner::store_as_written;
use crate::scenario::Scenario;
use crate::sim::SnapshotPolicy;
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::{CustomerEvent, CustomerId, EventEnvelope, OrderEvent, OrderId};
use foldlab_engine::{Engine, EngineError, Subscriber};
use foldlab_store::integrity::{check_shape, ShapeBreak};
use foldlab_store::MemoryStore;
use foldlab_store::{Checkpoint, EventStore, Snapshot, StreamId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// What a lab export says it is.
pub const FORMAT: &str = "foldlab-lab";
/// The lab export format this Foldlab writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// The largest lab file imported: 20 MB (about 40,000 events with their journal).
pub const MAX_LAB_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The largest scenario file (or link) read: 1 MB.
pub const MAX_SCENARIO_BYTES: usize = 1024 * 1024;
/// The deepest nesting of arrays and objects read. A lab export nests five levels, a scenario
/// about eight; anything far deeper is not one, and would only make the parser work.
pub const MAX_DEPTH: usize = 32;

/// A whole lab as a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u64,
    /// When it was exported (milliseconds since the Unix epoch).
    #[serde(default)]
    pub exported_at_ms: i64,
    /// The lab's settings.
    #[serde(default)]
    pub settings: LabSettings,
    /// The whole log, oldest first.
    pub events: Vec<EventEnvelope>,
    /// Every subscriber's and projection's checkpoint.
    pub checkpoints: Vec<Checkpoint>,
    /// Every stream's latest snapshot.
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    /// The app's journal of commands and deliveries, as the app stores it (it checks the shape).
    #[serde(default)]
    pub journal: Vec<Value>,
}

/// The settings a lab runs with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabSettings {
    /// The snapshot policy.
    #[serde(default)]
    pub snapshot_every: SnapshotPolicy,
    /// The projections that were paused.
    #[serde(default)]
    pub paused: Vec<String>,
}

/// Why a file was refused. Its text says exactly what is wrong, for the person who chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// Larger than the limit.
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Nested more deeply than [`MAX_DEPTH`].
    TooDeep {
        /// The line where the limit was crossed.
        line: usize,
    },
    /// Not JSON.
    Malformed {
        /// What the parser said.
        message: String,
        /// Where.
        line: usize,
        /// Where.
        column: usize,
    },
    /// JSON, but not a lab export.
    NotALabFile(String),
    /// A lab export of another format version.
    WrongVersion(String),
    /// A lab export with missing, unknown or mistyped fields.
    WrongShape(String),
    /// Markup or script in a text field.
    Hostile {
        /// Where, as a path: `events[2].event_data.name`.
        field: String,
        /// What was found.
        found: String,
    },
    /// The events, checkpoints or snapshots do not fold into a lab.
    DoesNotFold(String),
    /// A scenario that cannot be read (the scenario parser's own message).
    Scenario(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::TooLarge { bytes, limit } => write!(
                f,
                "The file is too large: {} bytes, and the limit is {} bytes ({} MB).",
                bytes,
                limit,
                limit / (1024 * 1024)
            ),
            ImportError::TooDeep { line } => write!(
                f,
                "The file is nested too deeply: more than {MAX_DEPTH} levels of brackets, at line {line}. A Foldlab file nests only a few."
            ),
            ImportError::Malformed { message, line, column } => write!(
                f,
                "The file is not valid JSON: {message} at line {line}, column {column}."
            ),
            ImportError::NotALabFile(why) => write!(f, "The file is not a Foldlab lab export: {why}."),
            ImportError::WrongVersion(why) => write!(f, "The file's format version is not one this Foldlab reads: {why}."),
            ImportError::WrongShape(why) => write!(f, "The file is not shaped like a lab export: {why}."),
            ImportError::Hostile { field, found } => write!(
                f,
                "The file was refused: the field {field} contains {found}. Names and ids may not hold markup or script."
            ),
            ImportError::DoesNotFold(why) => write!(f, "The file's events do not fold into a lab: {why}."),
            ImportError::Scenario(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// Refuses text over `limit` bytes or nested more than [`MAX_DEPTH`] deep, without parsing it.
pub fn check_size_and_depth(text: &str, limit: usize) -> Result<(), ImportError> {
    if text.len() > limit {
        return Err(ImportError::TooLarge {
            bytes: text.len(),
            limit,
        });
    }
    let (mut depth, mut line) = (0usize, 1usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if byte == b'\n' {
            line += 1;
        }
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ImportError::TooDeep { line });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn parse_json(text: &str) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| ImportError::Malformed {
        message: crate::json::message_without_position(&e),
        line: e.line(),
        column: e.column(),
    })
}

/// Reads a lab export, refusing it (see the module's doc) unless it is well-formed, of this format
/// version, of the right shape and free of markup. Whether its events fold is [`check_folds`]'s.
pub fn read_lab_file(text: &str) -> Result<LabFile, ImportError> {
    check_size_and_depth(text, MAX_LAB_FILE_BYTES)?;
    let value = parse_json(text)?;
    let Some(object) = value.as_object() else {
        return Err(ImportError::NotALabFile(
            "it holds no JSON object at the top".to_string(),
        ));
    };
    match object.get("format") {
        Some(Value::String(format)) if format == FORMAT => {}
        Some(other) => {
            return Err(ImportError::NotALabFile(format!(
                "its `format` is {other}, expected \"{FORMAT}\""
            )))
        }
        None => {
            return Err(ImportError::NotALabFile(format!(
                "it has no `format` field (a lab export says \"format\": \"{FORMAT}\")"
            )))
        }
    }
    match object.get("format_version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        Some(other) => {
            return Err(ImportError::WrongVersion(format!(
                "it is version {other}, and this Foldlab reads version {FORMAT_VERSION}"
            )))
        }
        None => {
            return Err(ImportError::WrongVersion(format!(
                "`format_version` is missing or not a whole number (this Foldlab reads version {FORMAT_VERSION})"
            )))
        }
    }
    // Read again from the text, not from `value`: the events' `Deserialize` is then the one the
    // stores already use (from JSON text), not a second copy for `Value` in the wasm.
    let file: LabFile = serde_json::from_str(text)
        .map_err(|e| ImportError::WrongShape(crate::json::message_without_position(&e)))?;
    check_text(&value, "")?;
    Ok(file)
}

/// Reads a scenario file (or a scenario from a link), refusing it when it is too large or too deep,
/// when the scenario parser refuses it, or when any text but its description holds markup.
pub fn read_scenario(text: &str) -> Result<Scenario, ImportError> {
    check_size_and_depth(text, MAX_SCENARIO_BYTES)?;
    let scenario = Scenario::parse(text).map_err(|e| {
        ImportError::Scenario(format!("The file is not a scenario Foldlab can run: {e}."))
    })?;
    let mut value = parse_json(text)?;
    if let Some(object) = value.as_object_mut() {
        // A description is prose, shown as text: "a total > the limit" is fine there.
        object.remove("description");
    }
    check_text(&value, "")?;
    Ok(scenario)
}

/// Refuses markup or script anywhere in `value`'s strings and keys, naming the field. Strings that
/// hold JSON themselves (an event's `event_data`, a checkpoint's or snapshot's `state`) are read
/// and checked field by field.
fn check_text(value: &Value, path: &str) -> Result<(), ImportError> {
    match value {
        Value::String(text) => {
            if text.starts_with('{') || text.starts_with('[') {
                if let Ok(inner) = serde_json::from_str::<Value>(text) {
                    return check_text(&inner, path);
                }
            }
            match hostile(text) {
                Some(found) => Err(ImportError::Hostile {
                    field: if path.is_empty() {
                        "(top)".to_string()
                    } else {
                        path.to_string()
                    },
                    found,
                }),
                None => Ok(()),
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_text(item, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if let Some(found) = hostile(key) {
                return Err(ImportError::Hostile {
                    field: format!("{field} (a key)"),
                    found,
                });
            }
            check_text(item, &field)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// What in `text` could be markup or script, if anything: the rule the Customer applies to a typed
/// name, so that a lab the app made can always be imported again.
fn hostile(text: &str) -> Option<String> {
    foldlab_domain::text::refused_in_names(text)
}

/// Replays `file` into a fresh memory store and refuses it unless every event decodes and folds,
/// ids and versions run without gaps, and every checkpoint and snapshot fits the log.
pub async fn check_folds(file: &LabFile) -> Result<(), ImportError> {
    check_folds_in(file, MemoryStore::new()).await
}

/// [`check_folds`] in `store`, which must be empty. The app passes its own store type holding
/// memory, so that the engine's code is compiled once, for that type, rather than twice.
pub async fn check_folds_in<S: EventStore>(file: &LabFile, store: S) -> Result<(), ImportError> {
    let fold = |why: String| ImportError::DoesNotFold(why);
    check_shape(&file.events).map_err(|broken| match broken {
        ShapeBreak::Id { index, found } => fold(format!(
            "events[{index}] has event_id {found}, expected {}: ids run 1, 2, … without gaps",
            index + 1
        )),
        ShapeBreak::Version {
            index,
            stream,
            found,
            expected,
        } => fold(format!(
            "events[{index}] is version {found} of {stream}, expected {expected}"
        )),
    })?;
    if let Some((i, event)) = file.events.iter().enumerate().find(|(_, e)| {
        ![CustomerEvent::ENTITY_TYPE, OrderEvent::ENTITY_TYPE].contains(&e.entity_type.as_str())
    }) {
        return Err(fold(format!(
            "events[{i}] belongs to a \u{201c}{}\u{201d}, which is not an aggregate of this lab (Customer or Order)",
            event.entity_type
        )));
    }
    let head = file.events.len() as u64;
    let known: Vec<String> = Subscriber::ALL
        .iter()
        .map(|s| s.name().to_string())
        .chain(
            foldlab_engine::QuerySide::new()
                .controls()
                .iter()
                .map(|c| c.name().to_string()),
        )
        .collect();
    for (i, checkpoint) in file.checkpoints.iter().enumerate() {
        if !known.contains(&checkpoint.subscriber) {
            return Err(fold(format!(
                "checkpoints[{i}] belongs to \u{201c}{}\u{201d}, which is no subscriber or projection of this lab",
                checkpoint.subscriber
            )));
        }
        if checkpoint.position > head {
            return Err(fold(format!(
                "checkpoints[{i}] ({}) stands at #{}, past the last event #{head}",
                checkpoint.subscriber, checkpoint.position
            )));
        }
    }
    for (i, snapshot) in file.snapshots.iter().enumerate() {
        let fits = file.events.iter().any(|e| {
            e.entity_type == snapshot.entity_type
                && e.entity_id == snapshot.entity_id
                && e.version == snapshot.version
                && e.event_id == snapshot.event_id
        });
        if !fits {
            return Err(fold(format!(
                "snapshots[{i}] of {} {} folds up to version {} (event #{}), which is not in the log",
                snapshot.entity_type, snapshot.entity_id, snapshot.version, snapshot.event_id
            )));
        }
    }
    let engine = Engine::new(store, Box::new(|| 0));
    restore(&engine, file).await.map_err(fold)?;
    // Every event is read: a load that started from a snapshot would skip the ones before it.
    engine.set_snapshot_policy(SnapshotPolicy::OFF);
    let at = |error: EngineError| match error {
        EngineError::Decode { event_id, error } => {
            let i = event_id.saturating_sub(1) as usize;
            let what = file
                .events
                .get(i)
                .map(|e| format!(" ({} of {} {})", e.event_type, e.entity_type, e.entity_id))
                .unwrap_or_default();
            fold(format!("events[{i}]{what} cannot be read: {error}"))
        }
        other => fold(other.to_string()),
    };
    let streams: std::collections::BTreeSet<(&str, &str)> = file
        .events
        .iter()
        .map(|e| (e.entity_type.as_str(), e.entity_id.as_str()))
        .collect();
    for (entity_type, id) in streams {
        if entity_type == CustomerEvent::ENTITY_TYPE {
            engine
                .load_customer(&CustomerId::new(id))
                .await
                .map_err(at)?;
        } else {
            engine.load_order(&OrderId::new(id)).await.map_err(at)?;
        }
    }
    engine
        .query_side()
        .check_views(engine.store())
        .await
        .map_err(|e| fold(format!("a projection's checkpoint cannot be read: {e}")))?;
    Ok(())
}

/// Replaces everything in `engine`'s store with `file`: clears it, stores the events as written,
/// then the checkpoints and snapshots, and applies the settings. Call it only with a file that
/// passed [`read_lab_file`] and [`check_folds`].
pub async fn restore<S: EventStore>(engine: &Engine<S>, file: &LabFile) -> Result<(), String> {
    let store = engine.store();
    store
        .clear()
        .await
        .map_err(|e| format!("the store cannot be cleared: {e}"))?;
    store_as_written(store, &file.events).await?;
    for checkpoint in &file.checkpoints {
        store.save_checkpoint(checkpoint).await.map_err(|e| {
            format!(
                "the checkpoint of {} cannot be saved: {e}",
                checkpoint.subscriber
            )
        })?;
    }
    for snapshot in &file.snapshots {
        store
            .save_snapshot(snapshot)
            .await
            .map_err(|e| format!("the snapshot of {} cannot be saved: {e}", snapshot.stream()))?;
    }
    // The views arrive whole; saved in parts now, the first command after the import does not
    // pay for it.
    for control in engine.query_side().controls() {
        engine
            .query_side()
            .resave(control.name(), store)
            .await
            .map_err(|e| format!("a projection's checkpoint cannot be read: {e}"))?;
    }
    let every = file.settings.snapshot_every;
    engine.set_snapshot_policy(every);
    for control in engine.query_side().controls() {
        if file.settings.paused.iter().any(|p| p == control.name()) {
            control.pause();
        } else {
            control.resume();
        }
    }
    Ok(())
}

/// The settings `engine` runs with: its snapshot policy and the projections paused.
pub fn lab_settings<S: EventStore>(engine: &Engine<S>) -> LabSettings {
    LabSettings {
        snapshot_every: SnapshotPolicy {
            customer: engine
                .snapshot_policy()
                .interval(CustomerEvent::ENTITY_TYPE),
            order: engine.snapshot_policy().interval(OrderEvent::ENTITY_TYPE),
        },
        paused: engine
            .query_side()
            .controls()
            .iter()
            .filter(|c| c.is_paused())
            .map(|c| c.name().to_string())
            .collect(),
    }
}

/// Everything in `engine`'s store as a file, with the app's `journal`.
pub async fn export<S: EventStore>(
    engine: &Engine<S>,
    journal: Vec<Value>,
    now_ms: i64,
) -> Result<LabFile, EngineError> {
    let store = engine.store();
    let events = store.read_all(0, usize::MAX).await?;
    let mut checkpoints = Vec::new();
    let query = engine.query_side();
    let mut names: Vec<&str> = Subscriber::ALL.iter().map(|s| s.name()).collect();
    for control in query.controls() {
        if !names.contains(&control.name()) {
            names.push(control.name());
        }
    }
    for name in names {
        if let Some(checkpoint) = store.load_checkpoint(name).await? {
            checkpoints.push(checkpoint);
        }
    }
    let mut streams: Vec<StreamId> = Vec::new();
    for event in &events {
        let stream = StreamId::new(&event.entity_type, &event.entity_id);
        if !streams.contains(&stream) {
            streams.push(stream);
        }
    }
    let mut snapshots = Vec::new();
    for stream in &streams {
        if let Some(snapshot) = store.load_snapshot(stream).await? {
            snapshots.push(snapshot);
        }
    }
    Ok(LabFile {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        exported_at_ms: now_ms,
        settings: lab_settings(engine),
        events,
        checkpoints,
        snapshots,
        journal,
    })
}

/// base64url without padding (RFC 4648 §5): how a link carries a scenario in its fragment.
pub mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// `bytes` as base64url text.
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    }

    /// The bytes `text` encodes, or what is wrong with it.
    pub fn decode(text: &str) -> Result<Vec<u8>, String> {
        let text = text.trim_end_matches('=');
        if text.len() % 4 == 1 {
            return Err("the encoded text is cut short".to_string());
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.as_bytes().chunks(4) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let value = ALPHABET.iter().position(|a| a == c).ok_or_else(|| {
                    format!(
                        "\u{201c}{}\u{201d} is not a base64url character",
                        char::from(*c)
                    )
                })?;
                n |= (value as u32) << (18 - 6 * i);
            }
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i) & 255) as u8);
            }
        }
        Ok(out)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
