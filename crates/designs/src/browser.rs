//! The browser's storage for the designs: each database is one localStorage record, so a commit is
//! one `setItem` and is all or nothing, as a database's commit is.

use crate::storage::{Database, Storage, StorageError};
use std::rc::Rc;

/// Where every record starts, so the designs never touch the lab's own records.
pub const PREFIX: &str = "foldlab-designs/";

/// Databases in localStorage, one record each under [`PREFIX`].
pub struct LocalStorage {
    storage: web_sys::Storage,
}

impl LocalStorage {
    /// Opens the page's localStorage.
    pub fn open() -> Result<Self, StorageError> {
        let storage = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .ok_or(StorageError::Unavailable)?;
        Ok(LocalStorage { storage })
    }

    /// Removes every record the designs keep (Reset lab): the keys under [`PREFIX`], and only
    /// those. Returns how many went.
    pub fn clear_all(&mut self) -> Result<usize, StorageError> {
        let count = self
            .storage
            .length()
            .map_err(|_| StorageError::Unavailable)?;
        let keys: Vec<String> = (0..count)
            .filter_map(|i| self.storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(PREFIX))
            .collect();
        for key in &keys {
            self.storage
                .remove_item(key)
                .map_err(|_| StorageError::Unavailable)?;
        }
        Ok(keys.len())
    }

    fn key(database: &str) -> String {
        format!("{PREFIX}{database}")
    }
}

impl Storage for LocalStorage {
    fn load(&self, database: &str) -> Result<Rc<Database>, StorageError> {
        let unreadable = |reason: String| StorageError::Unreadable {
            database: database.to_string(),
            reason,
        };
        let text = self
            .storage
            .get_item(&Self::key(database))
            .map_err(|_| unreadable("the browser refused to read it".into()))?;
        match text {
            None => Ok(Rc::new(Database::default())),
            Some(text) => serde_json::from_str(&text)
                .map(Rc::new)
                .map_err(|e| unreadable(format!("it is not a database: {e}"))),
        }
    }

    fn save(&mut self, database: &str, db: &Database) -> Result<(), StorageError> {
        let text = serde_json::to_string(db).map_err(|e| StorageError::Unreadable {
            database: database.to_string(),
            reason: e.to_string(),
        })?;
        // setItem either stores the whole record or throws (a full quota) and leaves the old one.
        self.storage
            .set_item(&Self::key(database), &text)
            .map_err(|_| StorageError::Full {
                database: database.to_string(),
            })
    }

    fn clear(&mut self, database: &str) -> Result<(), StorageError> {
        self.storage
            .remove_item(&Self::key(database))
            .map_err(|_| StorageError::Full {
                database: database.to_string(),
            })
    }
}
