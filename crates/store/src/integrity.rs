//! The integrity check: what in a store cannot be trusted, record by record, and what can still
//! be read. The normal read path stops at the first bad record ([`StoreError::Corrupt`]); this
//! reads every record on its own, so one bad record does not hide the others, and it changes
//! nothing: a damaged store is reported, never repaired or wiped.
//!
//! [`check_log`] checks a log that is already typed (the memory store's); the browser stores
//! (`BrowserStore::check_integrity`) read their raw records and hand them to the same analysis.
//! The lab crate's `salvage` turns what is readable into a lab export that imports again.
//!
//! [`StoreError::Corrupt`]: crate::StoreError::Corrupt

use crate::store::{Checkpoint, Snapshot, StreamId};
use foldlab_domain::codec::decode;
use foldlab_domain::EventEnvelope;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// What is wrong with one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The record is not an event: a field is missing or of the wrong type, or (in localStorage)
    /// the JSON is cut short or edited into something else.
    NotAnEvent,
    /// The envelope reads, but its `event_data` is not JSON or not what its event type holds
    /// (the domain's decoder and upcasters refuse it).
    UnreadableData,
    /// The record is filed under one event id but says it is another.
    Misfiled,
    /// An event id below the head has no record.
    MissingEvent,
    /// A stream's versions skip one or more numbers.
    VersionGap,
    /// A stream holds the same version twice.
    RepeatedVersion,
    /// A stream's versions go down as the event ids go up.
    OutOfOrder,
    /// The store's head (localStorage) is not a number.
    UnreadableHead,
    /// A subscriber's checkpoint cannot be read.
    UnreadableCheckpoint,
    /// A stream's snapshot cannot be read.
    UnreadableSnapshot,
}

/// One thing wrong in the store, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of damage it is.
    pub kind: ProblemKind,
    /// The record: `event #7`, or the storage key when there is no event id to name.
    pub record: String,
    /// The event id concerned, when there is one.
    pub event_id: Option<u64>,
    /// The stream concerned, when it can be told.
    pub stream: Option<StreamId>,
    /// What is wrong, in plain words.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stream {
            Some(stream) => write!(f, "{} ({stream}): {}", self.record, self.what),
            None => write!(f, "{}: {}", self.record, self.what),
        }
    }
}

/// What the integrity check found: every record that reads, and every problem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// Every event that reads, data included, in `event_id` order (gaps where records are bad).
    pub readable: Vec<EventEnvelope>,
    /// Every checkpoint that reads.
    pub checkpoints: Vec<Checkpoint>,
    /// Every snapshot that reads.
    pub snapshots: Vec<Snapshot>,
    /// Everything wrong, events first (by event id), then checkpoints and snapshots.
    pub problems: Vec<Problem>,
}

impl IntegrityReport {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The streams some problem names: their events cannot all be trusted.
    pub fn damaged_streams(&self) -> BTreeSet<StreamId> {
        self.problems
            .iter()
            .filter_map(|p| p.stream.clone())
            .collect()
    }

    /// A short summary for the user: "3 problems in 2 streams; 41 events readable".
    pub fn summary(&self) -> String {
        if self.is_intact() {
            return format!(
                "Every record reads: {} events, {} checkpoints, {} snapshots.",
                self.readable.len(),
                self.checkpoints.len(),
                self.snapshots.len()
            );
        }
        let streams = self.damaged_streams().len();
        format!(
            "{} {} found, {} {} affected; {} events read correctly. Nothing was changed or deleted.",
            self.problems.len(),
            plural(self.problems.len(), "problem", "problems"),
            streams,
            plural(streams, "stream", "streams"),
            self.readable.len()
        )
    }
}

/// `one` or `many`, whichever goes with `n` (the reports' counts of problems, streams, events).
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One event record as a backend found it, before it is trusted.
#[derive(Clone, Debug)]
pub struct RawEvent {
    /// Where it is: `event #7`, or a storage key.
    pub record: String,
    /// The event id the storage files it under (IndexedDB's key, the number in a localStorage key).
    pub filed_as: Option<u64>,
    /// The envelope, or why it is not one.
    pub read: Result<EventEnvelope, NotAnEvent>,
}

/// Why a record is not an event, and what of it could still be told.
#[derive(Clone, Debug)]
pub struct NotAnEvent {
    /// In plain words.
    pub why: String,
    /// Its stream, when `entity_type` and `entity_id` read as text.
    pub stream: Option<StreamId>,
    /// Its version, when it reads as a whole number.
    pub version: Option<u64>,
}

/// A checkpoint or snapshot record as a backend found it.
#[derive(Clone, Debug)]
pub struct RawRecord<T> {
    /// Where it is: its storage key, or `the checkpoint of customer-view`.
    pub record: String,
    /// The stream it belongs to (snapshots), when known.
    pub stream: Option<StreamId>,
    /// The value, or why it does not read.
    pub read: Result<T, String>,
}

/// Checks a typed log with its checkpoints and snapshots (a memory store's, or anything read
/// without error): event data that does not decode, version gaps and repeats, missing ids.
pub fn check_log(
    events: Vec<EventEnvelope>,
    checkpoints: Vec<Checkpoint>,
    snapshots: Vec<Snapshot>,
) -> IntegrityReport {
    let events = events
        .into_iter()
        .map(|e| RawEvent {
            record: format!("event #{}", e.event_id),
            filed_as: None,
            read: Ok(e),
        })
        .collect();
    let checkpoints = checkpoints
        .into_iter()
        .map(|c| RawRecord {
            record: format!("the checkpoint of {}", c.subscriber),
            stream: None,
            read: Ok(c),
        })
        .collect();
    let snapshots = snapshots
        .into_iter()
        .map(|s| RawRecord {
            record: format!("the snapshot of {}", s.stream()),
            stream: Some(s.stream()),
            read: Ok(s),
        })
        .collect();
    check_records(events, None, Vec::new(), checkpoints, snapshots)
}

/// The analysis every backend shares. `head` is the highest event id the store claims (ids
/// 1..=head must all be there); without one, the highest id found. `early` holds problems the
/// backend found before the events (an unreadable head).
pub fn check_records(
    events: Vec<RawEvent>,
    head: Option<u64>,
    early: Vec<Problem>,
    checkpoints: Vec<RawRecord<Checkpoint>>,
    snapshots: Vec<RawRecord<Snapshot>>,
) -> IntegrityReport {
    let mut check = RecordCheck::new(early);
    check.add(events);
    check.finish(head, checkpoints, snapshots)
}

/// [`check_records`] a page at a time: each event is checked as it is added, so a backend that
/// reads a long log in pages spends the work page by page rather than in one long task at the end.
#[derive(Debug, Default)]
pub struct RecordCheck {
    report: IntegrityReport,
    event_problems: Vec<Problem>,
    /// (event id, stream number, version) of every record whose place in its stream can be told.
    placed: Vec<(u64, u32, u64)>,
    /// Every stream met, by number, and the number of each: a record's stream is kept as a
    /// number, so the check copies each stream's id once, not once an event.
    streams: Vec<StreamId>,
    numbers: HashMap<StreamId, u32>,
    /// The event id of every record, in the order read (pages come in id order, so nearly sorted).
    present: Vec<u64>,
}

impl RecordCheck {
    /// A check that starts with the problems a backend found before the events.
    pub fn new(early: Vec<Problem>) -> Self {
        RecordCheck {
            report: IntegrityReport {
                problems: early,
                ..IntegrityReport::default()
            },
            ..RecordCheck::default()
        }
    }

    /// Checks each record on its own: whether it is an event, filed under its own id, with data
    /// the domain reads.
    pub fn add(&mut self, events: impl IntoIterator<Item = RawEvent>) {
        for raw in events {
            match raw.read {
                Err(not) => {
                    if let Some(id) = raw.filed_as {
                        self.present.push(id);
                        if let (Some(stream), Some(version)) = (&not.stream, not.version) {
                            let stream = self.number(stream);
                            self.placed.push((id, stream, version));
                        }
                    }
                    self.event_problems.push(Problem {
                        kind: ProblemKind::NotAnEvent,
                        record: raw.record,
                        event_id: raw.filed_as,
                        stream: not.stream,
                        what: format!("the record is not an event: {}", not.why),
                    });
                }
                Ok(event) => {
                    let stream = StreamId::new(&event.entity_type, &event.entity_id);
                    if let Some(filed) = raw.filed_as.filter(|f| *f != event.event_id) {
                        self.present.push(filed);
                        self.event_problems.push(Problem {
                            kind: ProblemKind::Misfiled,
                            record: raw.record,
                            event_id: Some(filed),
                            stream: Some(stream),
                            what: format!(
                                "it is stored as event #{filed} but says it is event #{}",
                                event.event_id
                            ),
                        });
                        continue;
                    }
                    self.present.push(event.event_id);
                    let problem = data_problem(&event);
                    if let Some(what) = problem.clone() {
                        self.event_problems.push(Problem {
                            kind: ProblemKind::UnreadableData,
                            record: raw.record,
                            event_id: Some(event.event_id),
                            stream: Some(stream.clone()),
                            what,
                        });
                    }
                    let number = self.number(&stream);
                    self.placed.push((event.event_id, number, event.version));
                    if problem.is_none() {
                        self.report.readable.push(event);
                    }
                }
            }
        }
    }

    /// The number of `stream` in this check (see `streams`).
    fn number(&mut self, stream: &StreamId) -> u32 {
        if let Some(n) = self.numbers.get(stream) {
            return *n;
        }
        let n = self.streams.len() as u32;
        self.streams.push(stream.clone());
        self.numbers.insert(stream.clone(), n);
        n
    }

    /// What only the whole log tells (missing ids, gaps and repeats in a stream's versions), and
    /// the checkpoints and snapshots.
    pub fn finish(
        self,
        head: Option<u64>,
        checkpoints: Vec<RawRecord<Checkpoint>>,
        snapshots: Vec<RawRecord<Snapshot>>,
    ) -> IntegrityReport {
        let RecordCheck {
            mut report,
            mut event_problems,
            placed,
            mut present,
            streams,
            numbers: _,
        } = self;
        present.sort_unstable();
        present.dedup();
        let last = head.unwrap_or_else(|| present.last().copied().unwrap_or(0));
        // Every id from 1 to `last` that no record has: the gaps between the ids read.
        let mut ids = present.iter().copied().peekable();
        let missing = (1..=last).filter(move |id| {
            while ids.next_if(|present| present < id).is_some() {}
            ids.peek() != Some(id)
        });
        for missing in missing {
            event_problems.push(Problem {
                kind: ProblemKind::MissingEvent,
                record: format!("event #{missing}"),
                event_id: Some(missing),
                stream: None,
                what: format!(
                    "there is no record of it, though the log runs to #{last}: it was deleted, or never finished writing"
                ),
            });
        }
        event_problems.extend(version_problems(placed, &streams));

        event_problems.sort_by_key(|p| (p.event_id.unwrap_or(0), p.kind));
        report.problems.extend(event_problems);
        report.readable.sort_by_key(|e| e.event_id);

        for raw in checkpoints {
            match raw.read {
                Ok(checkpoint) => report.checkpoints.push(checkpoint),
                Err(why) => report.problems.push(Problem {
                    kind: ProblemKind::UnreadableCheckpoint,
                    record: raw.record,
                    event_id: None,
                    stream: None,
                    what: format!("the checkpoint cannot be read: {why}"),
                }),
            }
        }
        for raw in snapshots {
            let read =
                raw.read.and_then(
                    |s| match serde_json::from_str::<serde_json::Value>(&s.state) {
                        Ok(_) => Ok(s),
                        Err(e) => Err(format!("its state is not JSON ({e})")),
                    },
                );
            match read {
                Ok(snapshot) => report.snapshots.push(snapshot),
                Err(why) => report.problems.push(Problem {
                    kind: ProblemKind::UnreadableSnapshot,
                    record: raw.record,
                    event_id: None,
                    stream: raw.stream,
                    what: format!(
                        "the snapshot cannot be read: {why}. A snapshot is only a shortcut: loads fold the stream's events instead"
                    ),
                }),
            }
        }
        report
    }
}

/// Why an event's data cannot be read, if it cannot: not JSON, or not what the domain decodes
/// (after its upcasters) for that event type.
fn data_problem(event: &EventEnvelope) -> Option<String> {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&event.event_data) {
        return Some(format!(
            "its event_data is not JSON ({e}), so the {} cannot be read",
            event.event_type
        ));
    }
    decode(event)
        .err()
        .map(|e| format!("its data cannot be decoded: {e}"))
}

/// Where a log stops having the shape every store gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeBreak {
    /// `events[index]` has the id `found`, where `index + 1` was due: ids run 1, 2, … .
    Id {
        /// Its place in the log, from 0.
        index: usize,
        /// Its event id.
        found: u64,
    },
    /// `events[index]` is version `found` of `stream`, where `expected` was due: each stream's
    /// versions run 1, 2, … in event id order.
    Version {
        /// Its place in the log, from 0.
        index: usize,
        /// Its stream.
        stream: StreamId,
        /// Its version.
        found: u64,
        /// The version due.
        expected: u64,
    },
}

/// The one check of a log's shape, for a log that must be whole (a simulated run, a file to
/// import, a scenario's seed events): ids run 1, 2, … without gaps and each stream's versions
/// 1, 2, … in id order. The first place it breaks, if any. (The integrity report, which must
/// name every problem of a damaged store rather than the first, analyses a log its own way.)
pub fn check_shape(events: &[EventEnvelope]) -> Result<(), ShapeBreak> {
    let mut versions: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (index, event) in events.iter().enumerate() {
        if event.event_id != index as u64 + 1 {
            return Err(ShapeBreak::Id {
                index,
                found: event.event_id,
            });
        }
        let last = versions
            .entry((&event.entity_type, &event.entity_id))
            .or_insert(0);
        if event.version != *last + 1 {
            return Err(ShapeBreak::Version {
                index,
                stream: StreamId::new(&event.entity_type, &event.entity_id),
                found: event.version,
                expected: *last + 1,
            });
        }
        *last = event.version;
    }
    Ok(())
}

/// Gaps, repeats and disorder in each stream's versions, read in event id order. `placed` holds
/// (event id, stream number, version); `streams` names each number.
fn version_problems(mut placed: Vec<(u64, u32, u64)>, streams: &[StreamId]) -> Vec<Problem> {
    placed.sort_by_key(|(id, _, _)| *id);
    let mut problems = Vec::new();
    // Per stream: the highest version so far, and the event id each version was seen at.
    let mut state: Vec<(u64, SeenVersions)> = streams
        .iter()
        .map(|_| (0, SeenVersions::default()))
        .collect();
    for (event_id, number, version) in placed {
        let (last, seen) = &mut state[number as usize];
        let problem = |kind, what| Problem {
            kind,
            record: format!("event #{event_id}"),
            event_id: Some(event_id),
            stream: Some(streams[number as usize].clone()),
            what,
        };
        if let Some(first) = seen.get(version) {
            problems.push(problem(
                ProblemKind::RepeatedVersion,
                format!("it is version {version} again (event #{first} is version {version} too)"),
            ));
        } else if version > *last + 1 {
            let missing = if version == *last + 2 {
                format!("version {} is missing", *last + 1)
            } else {
                format!("versions {} to {} are missing", *last + 1, version - 1)
            };
            problems.push(problem(
                ProblemKind::VersionGap,
                format!("the stream jumps from version {last} to {version}: {missing}"),
            ));
        } else if version <= *last {
            problems.push(problem(
                ProblemKind::OutOfOrder,
                format!(
                    "it is version {version}, but an earlier event is already version {last}: versions and event ids disagree"
                ),
            ));
        }
        seen.insert(version, event_id);
        *last = (*last).max(version);
    }
    problems
}

/// The event id at which each version of one stream was first seen. A sound stream's versions
/// come 1, 2, 3, …, so those are kept in a list by version; any other in a map.
#[derive(Default)]
struct SeenVersions {
    /// The event ids of versions 1 to `in_order.len()`.
    in_order: Vec<u64>,
    /// The versions seen out of that run.
    others: BTreeMap<u64, u64>,
}

impl SeenVersions {
    fn get(&self, version: u64) -> Option<u64> {
        match usize::try_from(version) {
            Ok(v) if (1..=self.in_order.len()).contains(&v) => Some(self.in_order[v - 1]),
            _ => self.others.get(&version).copied(),
        }
    }

    /// Records `version` at `event_id`, unless it was seen before.
    fn insert(&mut self, version: u64, event_id: u64) {
        if self.get(version).is_some() {
            return;
        }
        if version == self.in_order.len() as u64 + 1 {
            self.in_order.push(event_id);
        } else {
            self.others.insert(version, event_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventStore, ExpectedVersion, MemoryStore};
    use foldlab_domain::{Metadata, NewEvent};
    use futures::executor::block_on;

    fn noted(n: u64) -> NewEvent {
        NewEvent {
            event_type: "OrderNoted".to_string(),
            schema_version: 1,
            event_data: format!("{{\"n\":{n}}}"),
            recorded_at: 0,
            metadata: Metadata {
                actor: "test".to_string(),
                correlation_id: "c".to_string(),
                causation_id: None,
            },
        }
    }

    /// `n` events of the stream `Order o1`, as a store reads them back.
    fn order_log(n: u64) -> Vec<EventEnvelope> {
        let store = MemoryStore::new();
        block_on(store.append(
            &StreamId::new("Order", "o1"),
            ExpectedVersion::NoStream,
            (0..n).map(noted).collect(),
        ))
        .expect("append");
        block_on(store.read_all(0, usize::MAX)).expect("read")
    }

    /// Ten events, #4 not an event (with its stream and version still legible) and #7 gone.
    fn damaged_log() -> Vec<RawEvent> {
        let stream = StreamId::new("Order", "o1");
        order_log(10)
            .into_iter()
            .filter(|e| e.event_id != 7)
            .map(|e| RawEvent {
                record: format!("event #{}", e.event_id),
                filed_as: Some(e.event_id),
                read: if e.event_id == 4 {
                    Err(NotAnEvent {
                        why: "a test said so".to_string(),
                        stream: Some(stream.clone()),
                        version: Some(e.version),
                    })
                } else {
                    Ok(e)
                },
            })
            .collect()
    }

    #[test]
    fn a_stream_whose_versions_run_1_3_2_3_has_a_gap_then_disorder_then_a_repeat() {
        let stream = StreamId::new("Order", "o1");
        let mut events = order_log(4);
        for (event, version) in events.iter_mut().zip([1, 3, 2, 3]) {
            event.version = version;
        }
        let report = check_log(events, Vec::new(), Vec::new());
        // `OrderNoted` is no event of the domain's, so each also has data it cannot read.
        let versions: Vec<&Problem> = report
            .problems
            .iter()
            .filter(|p| p.kind != ProblemKind::UnreadableData)
            .collect();
        let found: Vec<(ProblemKind, Option<u64>)> =
            versions.iter().map(|p| (p.kind, p.event_id)).collect();
        assert_eq!(
            found,
            vec![
                (ProblemKind::VersionGap, Some(2)),
                (ProblemKind::OutOfOrder, Some(3)),
                (ProblemKind::RepeatedVersion, Some(4)),
            ]
        );
        assert!(versions[2].what.contains("event #2 is version 3 too"));
        assert!(versions.iter().all(|p| p.stream == Some(stream.clone())));
    }

    #[test]
    fn a_log_checked_a_page_at_a_time_gets_the_report_of_the_whole_log_checked_at_once() {
        let whole = check_records(damaged_log(), None, Vec::new(), Vec::new(), Vec::new());
        assert!(whole
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::MissingEvent && p.event_id == Some(7)));
        assert!(whole
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::NotAnEvent && p.event_id == Some(4)));
        for page in [1, 3, 4, 100] {
            let mut check = RecordCheck::new(Vec::new());
            let log = damaged_log();
            for chunk in log.chunks(page) {
                check.add(chunk.to_vec());
            }
            assert_eq!(
                check.finish(None, Vec::new(), Vec::new()),
                whole,
                "pages of {page}"
            );
        }
    }
}
