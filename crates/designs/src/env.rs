//! What a design's code runs in: the storage (under the design's own names), the crash that may
//! stop it at a named point, and what the run saw on the way (reads, conflicts, a narration).

use crate::storage::{Commit, Database, Storage, StorageError};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Where a crash can stop a service. Each design reaches the points its code has; a design with no
/// publish never reaches the first two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CrashPoint {
    /// The service has written its database and not yet published (or, when it publishes first,
    /// has published and not yet written).
    BetweenWriteAndPublish,
    /// Right after a publish, before the service goes on.
    AfterPublish,
    /// In a consumer, right after it wrote its change, before it publishes or moves on.
    InConsumer,
}

impl CrashPoint {
    /// Every crash point, in the order the UI lists them.
    pub const ALL: [CrashPoint; 3] = [
        CrashPoint::BetweenWriteAndPublish,
        CrashPoint::AfterPublish,
        CrashPoint::InConsumer,
    ];

    /// A short name for a choice list.
    pub fn label(self) -> &'static str {
        match self {
            CrashPoint::BetweenWriteAndPublish => "Between the database write and the publish",
            CrashPoint::AfterPublish => "Right after the publish",
            CrashPoint::InConsumer => "In a consumer, after its write",
        }
    }

    /// A stable name for addresses and tests.
    pub fn slug(self) -> &'static str {
        match self {
            CrashPoint::BetweenWriteAndPublish => "between",
            CrashPoint::AfterPublish => "after-publish",
            CrashPoint::InConsumer => "consumer",
        }
    }
}

/// One crash: at the `nth` time (0 = the first) any service reaches `point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crash {
    /// Where.
    pub point: CrashPoint,
    /// Which time the point is reached.
    pub nth: u32,
}

/// Why a design's operation stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// The process crashed at a crash point; what it had committed stays, the rest is gone.
    Crashed,
    /// Storage refused (a conflict, a full or unreadable store).
    Storage(StorageError),
}

impl From<StorageError> for Halt {
    fn from(e: StorageError) -> Self {
        Halt::Storage(e)
    }
}

/// A step's result in a design's code.
pub type Step<T> = Result<T, Halt>;

/// What a run saw that storage alone does not keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Orders a read right after placing them did not find.
    pub stale_reads: Vec<String>,
    /// (customer, order): an order whose commit was refused by a conflict and retried.
    pub conflicts: Vec<(String, String)>,
    /// Where the crash happened, in words, once it has.
    pub crash: Option<String>,
    /// One sentence per thing that happened, in order.
    pub narration: Vec<String>,
}

/// The context a design's code runs in.
pub struct Env<'a> {
    storage: &'a mut dyn Storage,
    prefix: String,
    crash: Option<Crash>,
    reached: u32,
    /// What the run saw.
    pub seen: Seen,
}

impl<'a> Env<'a> {
    /// A context over `storage`, naming databases `prefix/name`.
    pub fn new(storage: &'a mut dyn Storage, prefix: &str, crash: Option<Crash>) -> Self {
        Env {
            storage,
            prefix: prefix.to_string(),
            crash,
            reached: 0,
            seen: Seen::default(),
        }
    }

    /// The storage name of the design's database `name`.
    pub fn name(&self, name: &str) -> String {
        format!("{}/{}", self.prefix, name)
    }

    /// Reads one of the design's databases.
    pub fn load(&self, name: &str) -> Result<Rc<Database>, StorageError> {
        self.storage.load(&self.name(name))
    }

    /// Commits to one of the design's databases.
    pub fn commit(&mut self, name: &str, commit: Commit) -> Result<(), StorageError> {
        let full = self.name(name);
        self.storage.commit(&full, commit)
    }

    /// Deletes one of the design's databases.
    pub fn clear(&mut self, name: &str) -> Result<(), StorageError> {
        let full = self.name(name);
        self.storage.clear(&full)
    }

    /// Tells what happened.
    pub fn say(&mut self, sentence: impl Into<String>) {
        self.seen.narration.push(sentence.into());
    }

    /// A crash point: crashes here if this is the planned crash (then the crash is spent, so the
    /// restarted service runs on). `place` says where, in words.
    pub fn point(&mut self, point: CrashPoint, place: impl FnOnce() -> String) -> Step<()> {
        let Some(crash) = self.crash else {
            return Ok(());
        };
        if crash.point != point {
            return Ok(());
        }
        if self.reached < crash.nth {
            self.reached += 1;
            return Ok(());
        }
        self.crash = None;
        let where_ = place();
        self.say(format!("Crash: {where_}. The service restarts."));
        self.seen.crash = Some(where_);
        Err(Halt::Crashed)
    }
}
