//! The name of one aggregate's stream, which both the store's trait and its change notices
//! speak of.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Names one aggregate's stream: the article's `entity_type` and `entity_id` columns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StreamId {
    /// `Order` or `Customer`.
    pub entity_type: String,
    /// The aggregate's id.
    pub entity_id: String,
}

impl StreamId {
    /// A stream id.
    pub fn new(entity_type: impl Into<String>, entity_id: impl Into<String>) -> Self {
        Self {
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.entity_type, self.entity_id)
    }
}
