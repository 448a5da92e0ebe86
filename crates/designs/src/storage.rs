//! The one storage every design runs on: named databases of tables of rows, where a commit writes
//! several rows of one database all or nothing, and nothing spans two databases.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// One row: column name to value, all as text, so every table can be shown as it is.
pub type Row = BTreeMap<String, String>;

/// One table: rows by key, in key order. Tables that grow in order (a broker's messages, a log,
/// an EVENTS table) use zero-padded sequence numbers as keys.
pub type Table = BTreeMap<String, Row>;

/// The table a database keeps its transaction log in, when it keeps one (see [`Commit::logged`]).
pub const TRANSACTION_LOG: &str = "TRANSACTION_LOG";

/// The table each consumer keeps its position in.
pub const CHECKPOINTS: &str = "CHECKPOINTS";

/// One database: its tables by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// The tables, by name.
    pub tables: BTreeMap<String, Table>,
}

impl Database {
    /// The table `name`, empty when it has never been written.
    pub fn table(&self, name: &str) -> Table {
        self.tables.get(name).cloned().unwrap_or_default()
    }

    /// One row, if it is there.
    pub fn row(&self, table: &str, key: &str) -> Option<Row> {
        self.tables.get(table).and_then(|t| t.get(key)).cloned()
    }

    /// One column of one row, if both are there.
    pub fn cell(&self, table: &str, key: &str, column: &str) -> Option<String> {
        self.tables
            .get(table)
            .and_then(|t| t.get(key))
            .and_then(|r| r.get(column))
            .cloned()
    }
}

/// One write inside a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Inserts or replaces the row `key` of `table`.
    Put {
        /// The table.
        table: String,
        /// The row's key.
        key: String,
        /// The whole new row.
        row: Row,
    },
    /// Adds a row at the end of `table`, keyed by the next sequence number.
    Append {
        /// The table.
        table: String,
        /// The new row (its `seq` column is filled in).
        row: Row,
    },
}

/// A condition a commit checks before writing anything: the row's `version` column is `version`
/// (`None`: the row does not exist). This is how one aggregate refuses a second, concurrent update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The table.
    pub table: String,
    /// The row's key.
    pub key: String,
    /// The version the writer read.
    pub version: Option<u64>,
}

/// Several writes to one database, applied all or nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Checked first; if any fails, nothing is written and the commit is a [`StorageError::Conflict`].
    pub expect: Vec<Expect>,
    /// The writes, in order.
    pub writes: Vec<Write>,
    /// Whether the database records each row change in its [`TRANSACTION_LOG`], inside the same
    /// commit, as a database's commit log does.
    pub logged: bool,
}

impl Commit {
    /// An empty commit.
    pub fn new() -> Self {
        Commit::default()
    }

    /// Also record every row change in the database's transaction log.
    pub fn logged(mut self) -> Self {
        self.logged = true;
        self
    }

    /// Adds a condition on a row's version.
    pub fn expect(mut self, table: &str, key: &str, version: Option<u64>) -> Self {
        self.expect.push(Expect {
            table: table.into(),
            key: key.into(),
            version,
        });
        self
    }

    /// Adds a row put.
    pub fn put(mut self, table: &str, key: &str, row: Row) -> Self {
        self.writes.push(Write::Put {
            table: table.into(),
            key: key.into(),
            row,
        });
        self
    }

    /// Adds a row at the end of a table.
    pub fn append(mut self, table: &str, row: Row) -> Self {
        self.writes.push(Write::Append {
            table: table.into(),
            row,
        });
        self
    }
}

/// Why storage did not do what was asked. Nothing was written in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// A row's version was not the one the writer read: someone else committed first.
    Conflict {
        /// The table.
        table: String,
        /// The row's key.
        key: String,
        /// The version the writer read.
        expected: Option<u64>,
        /// The version found.
        found: Option<u64>,
    },
    /// The browser refused to store the database (its storage is full, or not allowed).
    Full {
        /// The database.
        database: String,
    },
    /// A stored database could not be read back.
    Unreadable {
        /// The database.
        database: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The browser gives no storage to this page.
    Unavailable,
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Conflict {
                table,
                key,
                expected,
                found,
            } => write!(
                f,
                "{table} {key} was changed by someone else: expected version {}, found {}. Nothing was written.",
                version_text(*expected),
                version_text(*found)
            ),
            StorageError::Full { database } => write!(
                f,
                "The browser's storage is full, so {database} was not saved. Nothing of that write was stored. Free some space and run again."
            ),
            StorageError::Unreadable { database, reason } => write!(
                f,
                "{database} could not be read back ({reason}). Nothing was changed; run the design again to start it afresh."
            ),
            StorageError::Unavailable => {
                write!(f, "This browser gives the page no localStorage, so the designs cannot run here.")
            }
        }
    }
}

fn version_text(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

/// A place that keeps databases.
pub trait Storage {
    /// Reads a whole database (empty if it was never written). Shared, so a read copies nothing.
    fn load(&self, database: &str) -> Result<Rc<Database>, StorageError>;
    /// Replaces a whole database in one write. Only [`apply`] and resets call this.
    fn save(&mut self, database: &str, db: &Database) -> Result<(), StorageError>;
    /// Deletes a database.
    fn clear(&mut self, database: &str) -> Result<(), StorageError>;

    /// Applies `commit` to `database` all or nothing: one load, the checks, one save.
    fn commit(&mut self, database: &str, commit: Commit) -> Result<(), StorageError> {
        let mut db = Rc::unwrap_or_clone(self.load(database)?);
        apply(&mut db, commit)?;
        self.save(database, &db)
    }
}

/// The version column of a row, if it has one.
pub fn version_of(row: Option<&Row>) -> Option<u64> {
    row.and_then(|r| r.get("version"))
        .and_then(|v| v.parse().ok())
}

/// A sequence number as a key that sorts in order.
pub fn seq_key(seq: u64) -> String {
    format!("{seq:06}")
}

/// Checks the commit's conditions, then applies its writes to `db` (in memory). On a failed check
/// `db` is unchanged.
pub fn apply(db: &mut Database, commit: Commit) -> Result<(), StorageError> {
    for e in &commit.expect {
        let found = version_of(db.tables.get(&e.table).and_then(|t| t.get(&e.key)));
        let exists = db
            .tables
            .get(&e.table)
            .is_some_and(|t| t.contains_key(&e.key));
        let ok = match e.version {
            None => !exists,
            Some(v) => found == Some(v),
        };
        if !ok {
            return Err(StorageError::Conflict {
                table: e.table.clone(),
                key: e.key.clone(),
                expected: e.version,
                found,
            });
        }
    }
    for w in commit.writes {
        match w {
            Write::Put { table, key, row } => {
                let old = db.row(&table, &key);
                if commit.logged && table != CHECKPOINTS {
                    log_change(db, &table, &key, old.as_ref(), &row);
                }
                db.tables.entry(table).or_default().insert(key, row);
            }
            Write::Append { table, mut row } => {
                let t = db.tables.entry(table).or_default();
                let seq = t.len() as u64 + 1;
                row.insert("seq".into(), seq.to_string());
                t.insert(seq_key(seq), row);
            }
        }
    }
    Ok(())
}

/// One log row per change: an INSERT names the whole row; an UPDATE names one column with its old
/// and new value, as a database's commit log records row changes (not their reasons).
fn log_change(db: &mut Database, table: &str, key: &str, old: Option<&Row>, new: &Row) {
    let mut entries = Vec::new();
    match old {
        None => {
            let all = new
                .iter()
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            entries.push(("INSERT", "*".to_string(), String::new(), all));
        }
        Some(old) => {
            for (c, v) in new {
                let before = old.get(c).cloned().unwrap_or_default();
                if &before != v && c != "version" {
                    entries.push(("UPDATE", c.clone(), before, v.clone()));
                }
            }
        }
    }
    let log = db.tables.entry(TRANSACTION_LOG.into()).or_default();
    for (op, column, old, new) in entries {
        let seq = log.len() as u64 + 1;
        let row = Row::from([
            ("seq".to_string(), seq.to_string()),
            ("op".to_string(), op.to_string()),
            ("table".to_string(), table.to_string()),
            ("key".to_string(), key.to_string()),
            ("column".to_string(), column),
            ("old".to_string(), old),
            ("new".to_string(), new),
        ]);
        log.insert(seq_key(seq), row);
    }
}

/// Databases kept in memory (native runs and the simulator).
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    databases: BTreeMap<String, Rc<Database>>,
    /// When set, every save fails as a full storage would (for tests).
    pub full: bool,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        MemoryStorage::default()
    }
}

impl Storage for MemoryStorage {
    fn load(&self, database: &str) -> Result<Rc<Database>, StorageError> {
        Ok(self.databases.get(database).cloned().unwrap_or_default())
    }

    fn save(&mut self, database: &str, db: &Database) -> Result<(), StorageError> {
        if self.full {
            return Err(StorageError::Full {
                database: database.into(),
            });
        }
        self.databases.insert(database.into(), Rc::new(db.clone()));
        Ok(())
    }

    /// In place: the checks come before any write, so a refused commit changes nothing, and the
    /// database is copied only if a reader still holds it.
    fn commit(&mut self, database: &str, commit: Commit) -> Result<(), StorageError> {
        if self.full {
            return Err(StorageError::Full {
                database: database.into(),
            });
        }
        let db = self.databases.entry(database.into()).or_default();
        apply(Rc::make_mut(db), commit)
    }

    fn clear(&mut self, database: &str) -> Result<(), StorageError> {
        self.databases.remove(database);
        Ok(())
    }
}

/// Builds a row from pairs.
pub fn row<const N: usize>(pairs: [(&str, String); N]) -> Row {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(limit: u64, version: u64) -> Row {
        row([
            ("credit_limit", limit.to_string()),
            ("version", version.to_string()),
        ])
    }

    #[test]
    fn a_commit_writes_all_its_rows() {
        let mut s = MemoryStorage::new();
        s.commit(
            "db",
            Commit::new()
                .put("CUSTOMERS", "c-1", customer(100, 1))
                .append("EVENTS", row([("type", "CustomerCreated".into())])),
        )
        .expect("commit");
        let db = s.load("db").expect("load");
        assert_eq!(
            db.cell("CUSTOMERS", "c-1", "credit_limit").as_deref(),
            Some("100")
        );
        assert_eq!(db.cell("EVENTS", &seq_key(1), "seq").as_deref(), Some("1"));
    }

    #[test]
    fn a_failed_version_check_writes_nothing() {
        let mut s = MemoryStorage::new();
        s.commit(
            "db",
            Commit::new().put("CUSTOMERS", "c-1", customer(100, 1)),
        )
        .expect("commit");
        let stale = Commit::new()
            .expect("CUSTOMERS", "c-1", Some(0))
            .put("CUSTOMERS", "c-1", customer(200, 1))
            .append("EVENTS", row([("type", "x".into())]));
        let err = s.commit("db", stale).expect_err("conflict");
        assert!(matches!(err, StorageError::Conflict { found: Some(1), .. }));
        let db = s.load("db").expect("load");
        assert_eq!(
            db.cell("CUSTOMERS", "c-1", "credit_limit").as_deref(),
            Some("100")
        );
        assert!(db.table("EVENTS").is_empty());
    }

    #[test]
    fn a_full_storage_is_an_error_and_keeps_what_was_there() {
        let mut s = MemoryStorage::new();
        s.commit(
            "db",
            Commit::new().put("CUSTOMERS", "c-1", customer(100, 1)),
        )
        .expect("commit");
        s.full = true;
        let err = s
            .commit("db", Commit::new().put("CUSTOMERS", "c-2", customer(5, 1)))
            .expect_err("full");
        assert!(err.to_string().contains("storage is full"));
        assert_eq!(s.load("db").expect("load").table("CUSTOMERS").len(), 1);
    }

    #[test]
    fn a_logged_commit_records_row_changes_not_checkpoints() {
        let mut s = MemoryStorage::new();
        s.commit(
            "db",
            Commit::new()
                .logged()
                .put("CUSTOMERS", "c-1", customer(100, 1)),
        )
        .expect("commit");
        let mut changed = customer(100, 2);
        changed.insert("credit_reserved".into(), "60".into());
        s.commit(
            "db",
            Commit::new().logged().put("CUSTOMERS", "c-1", changed).put(
                CHECKPOINTS,
                "me",
                row([("position", "3".into())]),
            ),
        )
        .expect("commit");
        let log = s.load("db").expect("load").table(TRANSACTION_LOG);
        let ops: Vec<_> = log
            .values()
            .map(|r| {
                format!(
                    "{} {}.{} {}->{}",
                    r["op"], r["table"], r["column"], r["old"], r["new"]
                )
            })
            .collect();
        assert_eq!(
            ops,
            [
                "INSERT CUSTOMERS.* ->credit_limit=100, version=1",
                "UPDATE CUSTOMERS.credit_reserved ->60"
            ]
        );
    }
}
