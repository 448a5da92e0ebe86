//! What is still readable in a damaged store, as a lab export that imports again: the integrity
//! check (in the store) names what is damaged; [`salvage`] keeps every whole stream.

use crate::sharing::{LabFile, LabSettings, FORMAT, FORMAT_VERSION};
use foldlab_domain::codec::DomainEvent;
use foldlab_domain::EventEnvelope;
use foldlab_domain::{CustomerEvent, OrderEvent};
use foldlab_store::integrity::{plural, Problem, ProblemKind};
use foldlab_store::{IntegrityReport, Snapshot, StreamId};
use serde::Serialize;
use std::collections::BTreeMap;

/// Something [`salvage`] left out of the export, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// What: `Customer c1 (4 readable events)`, `event #9`, `3 checkpoints`.
    pub what: String,
    /// Why, in plain words.
    pub why: String,
}

/// What is readable, as a lab export that imports again, and what had to be left out of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Salvage {
    /// The export.
    pub file: LabFile,
    /// What the export does not hold, and why.
    pub left_out: Vec<LeftOut>,
}

/// Turns what `report` found readable into a lab export ([`crate::sharing`]'s `foldlab-lab`
/// format) that passes the import's checks, with the lab's `settings`, stamped `now_ms`.
///
/// What goes in, and why (an export must replay: ids run 1, 2, … and each stream's versions
/// 1, 2, … without gaps):
/// - **Only whole streams.** A stream any problem names is left out entirely, since folding it
///   without the missing or unreadable event would give a state it never had. Streams of other
///   aggregates than Customer and Order are left out too.
/// - **Event ids are renumbered** 1, 2, … in their original order when something was left out.
///   Causation ids follow their events; a reaction whose cause was left out keeps its data but
///   loses its causation id (its cause is not in the file).
/// - **Checkpoints** go in only when nothing was left out; otherwise none does (their positions
///   count events that are gone, and a view's state holds what they said), so after an import
///   every subscriber starts from the first event, the views are rebuilt, and the services
///   recognise the reactions already stored.
/// - **Snapshots** of the streams kept go in, pointed at their event's new id.
/// - The journal is left empty: its entries name the old ids.
///
/// Records whose stream cannot be told are listed in [`Salvage::left_out`] too: a stream that
/// looks whole may then lack its last events, and the list says so.
pub fn salvage(report: &IntegrityReport, settings: LabSettings, now_ms: i64) -> Salvage {
    let damaged = report.damaged_streams();
    let mut left_out = Vec::new();
    // Per stream left out: how many readable events it had, and why it was left out.
    let mut dropped: BTreeMap<StreamId, (usize, String)> = BTreeMap::new();
    for event in &report.readable {
        let stream = StreamId::new(&event.entity_type, &event.entity_id);
        let why = if damaged.contains(&stream) {
            let mine: Vec<&Problem> = report
                .problems
                .iter()
                .filter(|p| p.stream.as_ref() == Some(&stream))
                .collect();
            let more = match mine.len() {
                0 | 1 => String::new(),
                n => format!(
                    " (and {} more {})",
                    n - 1,
                    plural(n - 1, "problem", "problems")
                ),
            };
            mine.first()
                .map(|p| format!("{}: {}{more}", p.record, p.what))
        } else if ![CustomerEvent::ENTITY_TYPE, OrderEvent::ENTITY_TYPE]
            .contains(&event.entity_type.as_str())
        {
            Some(format!(
                "{} is not an aggregate of this lab (Customer or Order)",
                event.entity_type
            ))
        } else {
            None
        };
        if let Some(why) = why {
            dropped.entry(stream).or_insert((0, why)).0 += 1;
        }
    }
    // Damaged streams with no readable event at all are left out as well; say so.
    for stream in &damaged {
        dropped.entry(stream.clone()).or_insert_with(|| {
            let why = report
                .problems
                .iter()
                .find(|p| p.stream.as_ref() == Some(stream))
                .map(|p| format!("{}: {}", p.record, p.what))
                .unwrap_or_default();
            (0, why)
        });
    }
    for (stream, (count, why)) in &dropped {
        left_out.push(LeftOut {
            what: format!(
                "{stream} ({count} readable {})",
                plural(*count, "event", "events")
            ),
            why: why.clone(),
        });
    }
    for problem in report.problems.iter().filter(|p| {
        p.stream.is_none()
            && matches!(
                p.kind,
                ProblemKind::NotAnEvent | ProblemKind::MissingEvent | ProblemKind::Misfiled
            )
    }) {
        left_out.push(LeftOut {
            what: problem.record.clone(),
            why: format!(
                "{}. Its stream cannot be told, so a stream exported as whole may lack this event",
                problem.what
            ),
        });
    }

    let kept: Vec<&EventEnvelope> = report
        .readable
        .iter()
        .filter(|e| !dropped.contains_key(&StreamId::new(&e.entity_type, &e.entity_id)))
        .collect();
    let new_ids: BTreeMap<u64, u64> = kept
        .iter()
        .zip(1u64..)
        .map(|(e, new)| (e.event_id, new))
        .collect();
    // Ids stay as they were when no event was left out and none had been lost before.
    let renumbered =
        kept.len() != report.readable.len() || new_ids.iter().any(|(old, new)| old != new);
    let events: Vec<EventEnvelope> = kept
        .iter()
        .map(|e| {
            let mut event = (*e).clone();
            event.event_id = new_ids[&e.event_id];
            event.metadata.causation_id = e
                .metadata
                .causation_id
                .and_then(|cause| new_ids.get(&cause).copied());
            event
        })
        .collect();

    let checkpoints = if renumbered {
        if !report.checkpoints.is_empty() {
            left_out.push(LeftOut {
                what: format!(
                    "{} {}",
                    report.checkpoints.len(),
                    plural(report.checkpoints.len(), "checkpoint", "checkpoints")
                ),
                why: "they count positions in the log as it was; after an import every subscriber starts from the first event and the views are rebuilt".to_string(),
            });
        }
        Vec::new()
    } else {
        report.checkpoints.clone()
    };

    let mut snapshots = Vec::new();
    for snapshot in &report.snapshots {
        let stream = snapshot.stream();
        if dropped.contains_key(&stream) {
            continue;
        }
        let fits = new_ids.get(&snapshot.event_id).and_then(|new| {
            events
                .get((*new - 1) as usize)
                .filter(|e| {
                    e.entity_type == snapshot.entity_type
                        && e.entity_id == snapshot.entity_id
                        && e.version == snapshot.version
                })
                .map(|_| *new)
        });
        match fits {
            Some(new) => snapshots.push(Snapshot {
                event_id: new,
                ..snapshot.clone()
            }),
            None => left_out.push(LeftOut {
                what: format!("the snapshot of {stream}"),
                why: format!(
                    "it folds up to version {} (event #{}), which is not among the events kept; loads fold the events instead",
                    snapshot.version, snapshot.event_id
                ),
            }),
        }
    }

    Salvage {
        file: LabFile {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            exported_at_ms: now_ms,
            settings,
            events,
            checkpoints,
            snapshots,
            journal: Vec::new(),
        },
        left_out,
    }
}

#[cfg(test)]
mod tests;
