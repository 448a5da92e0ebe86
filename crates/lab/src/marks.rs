//! What changed between two renders of the lab, so the screen can mark it as it happens: a new
//! event row, a changed cell with what it was, a checkpoint that moved, a new step in the lanes.
//! Nothing is marked on the first render: what was there before the page opened is not news.

use std::collections::BTreeMap;

/// How one keyed value changed since the last render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change<V> {
    /// The key was not there before.
    New,
    /// The value was this before.
    Was(V),
}

/// What a screen showed last and what changed into it: keyed values (a customer's available
/// credit, a subscriber's checkpoint) compared render by render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen<K: Ord, V> {
    now: BTreeMap<K, V>,
    changed: BTreeMap<K, Change<V>>,
}

impl<K: Ord + Clone, V: PartialEq + Clone> Seen<K, V> {
    /// The first render: everything is shown, nothing is marked.
    pub fn first(now: BTreeMap<K, V>) -> Self {
        Seen {
            now,
            changed: BTreeMap::new(),
        }
    }

    /// The next render, compared with this one. Keys that are gone are simply not shown.
    pub fn next(&self, now: BTreeMap<K, V>) -> Self {
        let changed = now
            .iter()
            .filter_map(|(key, value)| match self.now.get(key) {
                None => Some((key.clone(), Change::New)),
                Some(was) if was != value => Some((key.clone(), Change::Was(was.clone()))),
                Some(_) => None,
            })
            .collect();
        Seen { now, changed }
    }

    /// How `key` changed in the last render, if it did.
    pub fn change(&self, key: &K) -> Option<&Change<V>> {
        self.changed.get(key)
    }

    /// What it was before the last render, for a value that changed (not for a new one).
    pub fn was(&self, key: &K) -> Option<&V> {
        match self.changed.get(key)? {
            Change::Was(v) => Some(v),
            Change::New => None,
        }
    }
}

/// The highest id of a growing list (the log's events, the journal's steps) across renders:
/// what is above the previous high mark is new in this render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HighMark {
    before: Option<u64>,
    now: u64,
}

impl HighMark {
    /// The first render: nothing is new.
    pub fn first(now: u64) -> Self {
        HighMark { before: None, now }
    }

    /// The next render. A list that shrank (a reset) marks nothing.
    pub fn next(self, now: u64) -> Self {
        HighMark {
            before: Some(if now < self.now { now } else { self.now }),
            now,
        }
    }

    /// The highest id at the last render.
    pub fn high(self) -> u64 {
        self.now
    }

    /// Whether the item with this id arrived in the last render.
    pub fn is_new(self, id: u64) -> bool {
        self.before
            .is_some_and(|before| id > before && id <= self.now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn nothing_is_marked_on_the_first_render() {
        let seen = Seen::first(map(&[("ada", 100_000)]));
        assert_eq!(seen.change(&"ada".to_string()), None);
    }

    #[test]
    fn a_changed_value_is_marked_with_what_it_was() {
        let seen = Seen::first(map(&[("ada", 100_000), ("bob", 500)]));
        let seen = seen.next(map(&[("ada", 75_000), ("bob", 500)]));
        assert_eq!(seen.was(&"ada".to_string()), Some(&100_000));
        assert_eq!(seen.change(&"bob".to_string()), None);
    }

    #[test]
    fn a_new_key_is_marked_new_and_the_mark_is_gone_one_render_later() {
        let seen = Seen::first(map(&[]));
        let seen = seen.next(map(&[("ada", 1)]));
        assert_eq!(seen.change(&"ada".to_string()), Some(&Change::New));
        assert_eq!(seen.was(&"ada".to_string()), None);
        let seen = seen.next(map(&[("ada", 1)]));
        assert_eq!(seen.change(&"ada".to_string()), None);
    }

    #[test]
    fn ids_above_the_previous_high_mark_are_new() {
        let mark = HighMark::first(3);
        assert!(!mark.is_new(3));
        let mark = mark.next(5);
        assert!(!mark.is_new(3));
        assert!(mark.is_new(4));
        assert!(mark.is_new(5));
        assert_eq!(mark.high(), 5);
        let mark = mark.next(5);
        assert!(!mark.is_new(5));
    }

    #[test]
    fn after_a_reset_the_new_log_is_marked_from_its_start() {
        let mark = HighMark::first(9).next(0).next(1);
        assert!(mark.is_new(1));
    }
}
