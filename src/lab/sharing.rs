//! Exporting the whole lab as a file and importing one, on the lab's own store. An import is
//! checked completely (see `foldlab_lab::sharing`) before anything is written; if writing then
//! fails part way, the lab taken just before is written back.

use super::{journal, Entry, Lab};
use foldlab_lab::counted;
use foldlab_lab::sharing::{self, LabFile};
use leptos::prelude::*;

/// What an import found, checked and ready to replace the lab.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedImport {
    /// The file.
    pub file: LabFile,
    /// Its journal, read into the app's entries.
    pub journal: Vec<Entry>,
}

impl Lab {
    /// The whole lab as the text of a file.
    pub async fn export_text(&self) -> Result<(String, LabFile), String> {
        let engine = self.engine().ok_or_else(|| {
            "The event store is still opening; try again in a moment.".to_string()
        })?;
        let journal = self
            .journal
            .get_untracked()
            .iter()
            .filter_map(|entry| serde_json::to_value(entry).ok())
            .collect();
        let file = sharing::export(&engine, journal, js_sys::Date::now() as i64)
            .await
            .map_err(|e| format!("The lab could not be exported: {e}"))?;
        let text = foldlab_lab::json::to_pretty(&file)
            .map_err(|e| format!("The lab could not be written as JSON: {e}"))?;
        Ok((text, file))
    }

    /// Checks an import completely without touching the lab: shape, version, markup, the journal
    /// and whether its events fold.
    pub async fn check_import(&self, text: &str) -> Result<CheckedImport, String> {
        let file = sharing::read_lab_file(text).map_err(|e| e.to_string())?;
        let journal: Vec<Entry> = serde_json::from_value(serde_json::Value::Array(
            file.journal.clone(),
        ))
        .map_err(|e| {
            sharing::ImportError::WrongShape(format!("the journal cannot be read: {e}")).to_string()
        })?;
        // Replayed in memory, through the same store type as the lab's (see `check_folds_in`).
        let scratch = super::LabStore::new(foldlab_store::BrowserStore::Memory(
            foldlab_store::MemoryStore::new(),
        ));
        sharing::check_folds_in(&file, scratch)
            .await
            .map_err(|e| e.to_string())?;
        Ok(CheckedImport { file, journal })
    }

    /// Replaces the lab with a checked import. If a write fails part way, the lab as it was just
    /// before is written back, and the message says so.
    pub async fn import(&self, checked: CheckedImport) -> Result<String, String> {
        let (_, backup) = self.export_text().await?;
        let lab = *self;
        // The log is replaced, not extended: the views read it all again afterwards.
        self.reload_next.set_value(true);
        self.with_engine(async move |engine| {
            if let Err(error) = sharing::restore(&engine, &checked.file).await {
                return Err(match sharing::restore(&engine, &backup).await {
                    Ok(()) => format!(
                        "The import failed part way ({error}); the lab as it was before the import has been restored."
                    ),
                    Err(again) => format!(
                        "The import failed part way ({error}), and restoring the previous lab failed too ({again}). Export what is left, then Reset the lab."
                    ),
                });
            }
            let mut entries = checked.journal;
            let saved = journal::save(lab.backend(), &mut entries);
            lab.journal.set(entries);
            let note = saved.err().map(|n| format!(" {n}")).unwrap_or_default();
            Ok(format!(
                "Imported {}, {} and {}; the lab now holds the file's lab.{note}",
                counted(checked.file.events.len() as u64, "event", "events"),
                counted(checked.file.checkpoints.len() as u64, "checkpoint", "checkpoints"),
                counted(checked.file.snapshots.len() as u64, "snapshot", "snapshots")
            ))
        })
        .await
    }
}
