//! A view kept in parts: a small head and one document per customer (or order), so a checkpoint
//! after one event saves the few documents that event changed instead of the whole view.
//!
//! Part 2 of the article keeps the customer view in a document store, one document per customer
//! ("Using CQRS", Table 1); a view saved in parts is that, inside the event store's database. The
//! whole view stays one JSON value when read back: the head (the view's JSON with every document
//! map empty) with each map's documents put back in ([`assemble`]), which is what an export
//! writes and an import reads.
//!
//! An index of small entries (which customer each order belongs to) is kept in a fixed number of
//! groups instead ([`GroupedMap`]): one record per order would make a view of 25,000 orders
//! 25,000 records to read before the lab can show it. The head says how each map is kept
//! ([`MapShape`]).

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Deref;

/// One document of a view in parts that changed: its map, its key, and its JSON (`None` once it
/// was removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartChange {
    /// The field of the view that holds the map (`"customers"`).
    pub map: &'static str,
    /// The document's key in that map (a customer or order id).
    pub key: String,
    /// The document as JSON, or `None` when it was removed.
    pub json: Option<String>,
}

/// A map of a view's documents that remembers which keys changed since they were last taken.
/// Reads go through `Deref` to the map; every write goes through a method here, which marks the
/// key. Serialized as the plain map, so a view's JSON is the same as before it kept parts.
#[derive(Clone, Debug)]
pub struct DocumentMap<K: Ord, V> {
    map: BTreeMap<K, V>,
    changed: BTreeSet<K>,
}

impl<K: Ord, V> Default for DocumentMap<K, V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<K: Ord, V: PartialEq> PartialEq for DocumentMap<K, V> {
    /// The documents only: what changed since the last save is no part of the view.
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Ord, V: Eq> Eq for DocumentMap<K, V> {}

impl<K: Ord, V> Deref for DocumentMap<K, V> {
    type Target = BTreeMap<K, V>;

    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a DocumentMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<K: Ord, V> From<BTreeMap<K, V>> for DocumentMap<K, V> {
    fn from(map: BTreeMap<K, V>) -> Self {
        Self {
            map,
            changed: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Serialize, V: Serialize> Serialize for DocumentMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for DocumentMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::deserialize(deserializer).map(Self::from)
    }
}

impl<K: Ord + Clone, V> DocumentMap<K, V> {
    /// Inserts or replaces the document under `key`.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// The document under `key`, to change it.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let value = self.map.get_mut(key)?;
        if !self.changed.contains(key) {
            self.changed.insert(key.clone());
        }
        Some(value)
    }

    /// The document under `key`, made from its default first if there is none.
    pub fn get_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.changed.insert(key.clone());
        self.map.entry(key).or_default()
    }

    /// Removes the document under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let removed = self.map.remove(key)?;
        self.changed.insert(key.clone());
        Some(removed)
    }

    /// Keeps only the documents `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                changed.insert(key.clone());
            }
            kept
        });
    }
}

/// A [`DocumentMap`] seen from the checkpoint that saves it: what changed, or everything.
pub trait DocumentParts {
    /// The documents changed since the last call, as JSON (`None`: removed); forgets them.
    fn take_changed(&mut self) -> Vec<(String, Option<String>)>;
    /// Every document as JSON; forgets what changed.
    fn take_all(&mut self) -> Vec<(String, Option<String>)>;
    /// Forgets what changed (the view was saved whole).
    fn forget_changed(&mut self);
    /// How the map is kept: a document per key, or its entries in groups.
    fn shape(&self) -> MapShape;
}

/// How a view in parts keeps one of its maps, which its head says by the map field's empty value:
/// `{}` for a document per key, `[]` for entries in groups (each group a JSON object).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapShape {
    /// One part per key: the part's JSON is the document.
    Documents,
    /// One part per group of keys: the part's JSON is an object of the group's entries.
    Groups,
}

impl MapShape {
    /// The map field's value in a head.
    pub fn in_head(self) -> serde_json::Value {
        match self {
            MapShape::Documents => serde_json::Value::Object(serde_json::Map::new()),
            MapShape::Groups => serde_json::Value::Array(Vec::new()),
        }
    }

    fn of(value: &serde_json::Value) -> Option<MapShape> {
        match value {
            serde_json::Value::Object(o) if o.is_empty() => Some(MapShape::Documents),
            serde_json::Value::Array(a) if a.is_empty() => Some(MapShape::Groups),
            _ => None,
        }
    }
}

/// The maps a head names and how each is kept; `None` if the head is not a JSON object.
pub fn shapes(head: &str) -> Option<BTreeMap<String, MapShape>> {
    let head: serde_json::Map<String, serde_json::Value> = serde_json::from_str(head).ok()?;
    Some(
        head.iter()
            .filter_map(|(name, value)| Some((name.clone(), MapShape::of(value)?)))
            .collect(),
    )
}

/// Whether a save with head `b` can change the parts saved with head `a`: both heads name the same
/// maps, each kept the same way. (A view saved before its index was grouped cannot.)
pub fn same_shape(a: &str, b: &str) -> bool {
    matches!((shapes(a), shapes(b)), (Some(a), Some(b)) if a == b)
}

impl<K: Ord + AsRef<str>, V: Serialize> DocumentParts for DocumentMap<K, V> {
    fn take_changed(&mut self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .map(|key| {
                let json = self.map.get(&key).map(to_json);
                (key.as_ref().to_string(), json)
            })
            .collect()
    }

    fn take_all(&mut self) -> Vec<(String, Option<String>)> {
        self.changed.clear();
        self.map
            .iter()
            .map(|(key, value)| (key.as_ref().to_string(), Some(to_json(value))))
            .collect()
    }

    fn forget_changed(&mut self) {
        self.changed.clear();
    }

    fn shape(&self) -> MapShape {
        MapShape::Documents
    }
}

/// How many groups a [`GroupedMap`] spreads its entries over: at 25,000 orders a group holds about
/// a hundred entries (a few KB to write when one changes), and reading the index is 256 records.
pub const GROUPS: u32 = 256;

/// The group of a key: FNV-1a of its text, so every build and every browser puts a key in the
/// same group.
fn group_of(key: &str) -> u32 {
    let hash = key.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % GROUPS
}

/// A map of small entries kept in [`GROUPS`] groups, which remembers which groups changed since
/// they were last taken: saved in parts, each changed group is one part. Serialized as the plain
/// map, like [`DocumentMap`].
#[derive(Clone, Debug)]
pub struct GroupedMap<K: Ord, V> {
    groups: BTreeMap<u32, BTreeMap<K, V>>,
    changed: BTreeSet<u32>,
    len: usize,
}

impl<K: Ord, V> Default for GroupedMap<K, V> {
    fn default() -> Self {
        Self {
            groups: BTreeMap::new(),
            changed: BTreeSet::new(),
            len: 0,
        }
    }
}

impl<K: Ord, V: PartialEq> PartialEq for GroupedMap<K, V> {
    /// The entries only (a key's group depends on the key alone).
    fn eq(&self, other: &Self) -> bool {
        self.groups == other.groups
    }
}

impl<K: Ord, V: Eq> Eq for GroupedMap<K, V> {}

impl<K: Ord + AsRef<str>, V> GroupedMap<K, V> {
    /// The entry under `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.groups.get(&group_of(key.as_ref()))?.get(key)
    }

    /// Whether there is an entry under `key`.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces the entry under `key`.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let group = group_of(key.as_ref());
        self.changed.insert(group);
        let old = self.groups.entry(group).or_default().insert(key, value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes the entry under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let group = group_of(key.as_ref());
        let entries = self.groups.get_mut(&group)?;
        let removed = entries.remove(key)?;
        if entries.is_empty() {
            self.groups.remove(&group);
        }
        self.changed.insert(group);
        self.len -= 1;
        Some(removed)
    }

    /// Keeps only the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for (group, entries) in &mut self.groups {
            let before = entries.len();
            entries.retain(&mut keep);
            if entries.len() != before {
                self.changed.insert(*group);
                self.len -= before - entries.len();
            }
        }
        self.groups.retain(|_, entries| !entries.is_empty());
    }

    /// Every entry, group by group.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.groups.values().flatten()
    }

    /// Every key, group by group.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(key, _)| key)
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<K: Ord + AsRef<str>, V> FromIterator<(K, V)> for GroupedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = Self::default();
        for (key, value) in entries {
            map.insert(key, value);
        }
        map.changed.clear();
        map
    }
}

impl<K: Ord + Serialize, V: Serialize> Serialize for GroupedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.groups.values().flatten())
    }
}

impl<'de, K, V> Deserialize<'de> for GroupedMap<K, V>
where
    K: Ord + AsRef<str> + Deserialize<'de>,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<K, V>::deserialize(deserializer).map(|map| map.into_iter().collect())
    }
}

impl<K: Ord + AsRef<str> + Serialize, V: Serialize> DocumentParts for GroupedMap<K, V> {
    fn take_changed(&mut self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .map(|group| (group.to_string(), self.groups.get(&group).map(to_json)))
            .collect()
    }

    fn take_all(&mut self) -> Vec<(String, Option<String>)> {
        self.changed.clear();
        self.groups
            .iter()
            .map(|(group, entries)| (group.to_string(), Some(to_json(entries))))
            .collect()
    }

    fn forget_changed(&mut self) {
        self.changed.clear();
    }

    fn shape(&self) -> MapShape {
        MapShape::Groups
    }
}

/// A document as JSON. The views' documents are plain data, which JSON always represents.
fn to_json<V: Serialize>(value: &V) -> String {
    serde_json::to_string(value).expect("a view's document is plain data")
}

/// A view state that can be saved in parts: the head and its document maps.
pub trait InParts {
    /// The view's JSON with each document map empty (`{}`): small, saved with every checkpoint.
    fn head(&self) -> String;

    /// The view's document maps, by the name of the field that holds each.
    fn document_maps(&mut self) -> Vec<(&'static str, &mut dyn DocumentParts)>;

    /// The documents changed since the last save, which are forgotten as changed.
    fn take_changes(&mut self) -> Vec<PartChange> {
        changes(self.document_maps(), false)
    }

    /// Every document, for a save that replaces all the parts; forgets what changed.
    fn take_all_parts(&mut self) -> Vec<PartChange> {
        changes(self.document_maps(), true)
    }

    /// Forgets what changed: the view was saved whole.
    fn forget_changes(&mut self) {
        for (_, parts) in self.document_maps() {
            parts.forget_changed();
        }
    }
}

fn changes(maps: Vec<(&'static str, &mut dyn DocumentParts)>, all: bool) -> Vec<PartChange> {
    maps.into_iter()
        .flat_map(|(map, parts)| {
            let taken = if all {
                parts.take_all()
            } else {
                parts.take_changed()
            };
            taken
                .into_iter()
                .map(move |(key, json)| PartChange { map, key, json })
        })
        .collect()
}

/// Why a view could not be put back together from its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblyError(pub String);

/// The whole view's JSON from its head and its documents (`(map, key, json)`): each map field of
/// the head gets its documents, in key order; a map the head keeps in groups (`[]`) gets every
/// group's entries. Each part must be one JSON value (a group: an object), and the head a JSON
/// object.
pub fn assemble<'a>(
    head: &str,
    parts: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<String, AssemblyError> {
    let head: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(head).map_err(|e| AssemblyError(format!("the head: {e}")))?;
    let mut maps: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for (map, key, json) in parts {
        serde_json::from_str::<IgnoredAny>(json)
            .map_err(|e| AssemblyError(format!("the document {key} of {map}: {e}")))?;
        maps.entry(map).or_default().insert(key, json);
    }
    let mut out = String::from("{");
    let mut first = true;
    let mut field = |out: &mut String, name: &str| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        let _ = write!(out, "{}:", serde_json::Value::from(name));
    };
    for (name, value) in &head {
        field(&mut out, name);
        let documents = maps.remove(name.as_str()).unwrap_or_default();
        match MapShape::of(value) {
            Some(MapShape::Groups) => write_groups(&mut out, name, &documents)?,
            _ if !documents.is_empty() => write_documents(&mut out, &documents),
            _ => out.push_str(&value.to_string()),
        }
    }
    for (name, documents) in &maps {
        field(&mut out, name);
        write_documents(&mut out, documents);
    }
    out.push('}');
    Ok(out)
}

/// A grouped map's entries: each group is a JSON object, and the groups hold different keys, so
/// their entries together are the map.
fn write_groups(
    out: &mut String,
    map: &str,
    groups: &BTreeMap<&str, &str>,
) -> Result<(), AssemblyError> {
    out.push('{');
    let mut first = true;
    for (key, json) in groups {
        // Already checked to be one JSON value; one that begins with `{` is an object.
        let inner = json
            .trim()
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .ok_or_else(|| AssemblyError(format!("the group {key} of {map} is not an object")))?
            .trim();
        if !inner.is_empty() {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push_str(inner);
        }
    }
    out.push('}');
    Ok(())
}

fn write_documents(out: &mut String, documents: &BTreeMap<&str, &str>) {
    out.push('{');
    for (i, (key, json)) in documents.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:{json}", serde_json::Value::from(*key));
    }
    out.push('}');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// A view saved in parts reads back as the same view: its head and all its documents
    /// assemble to JSON that deserializes equal, and (as a value) equal to its own JSON.
    pub(crate) fn reads_back_from_parts<S>(state: &S)
    where
        S: InParts + Clone + Serialize + DeserializeOwned + PartialEq + Debug,
    {
        let mut copy = state.clone();
        let parts = copy.take_all_parts();
        let whole = assemble(
            &state.head(),
            parts.iter().map(|p| {
                (
                    p.map,
                    p.key.as_str(),
                    p.json.as_deref().expect("every part"),
                )
            }),
        )
        .expect("assembled");
        let read: S = serde_json::from_str(&whole).expect("reads back");
        assert_eq!(&read, state);
        let value = |s: &str| serde_json::from_str::<serde_json::Value>(s).expect("JSON");
        assert_eq!(
            value(&whole),
            value(&serde_json::to_string(state).expect("JSON"))
        );
    }

    #[test]
    fn every_view_reads_back_from_its_parts() {
        use crate::testing::Log;
        use crate::{
            project, CustomerViewProjection, LowCreditLimitProjection, NewCustomersProjection,
            OrderHistoryProjection, Projection,
        };
        let log = Log::new()
            .customer("c1", "Ada", 1_000)
            .customer("c\"2", "Bo \u{e9}", 50)
            .order("o1", "c1", 300)
            .reserved("c1", "o1", 300)
            .approved("o1")
            .order("o2", "c\"2", 80)
            .exceeded("c\"2", "o2", 80, 50)
            .cancelled("o2", crate::CancelReason::CreditLimitExceeded, "c\"2")
            .limit_changed("c1", 2_000)
            .deleted("c\"2");
        fn check<P: Projection>(projection: P, log: &Log) {
            let state =
                project(&projection, projection.initial_state(), log.events()).expect("folds");
            reads_back_from_parts(&state);
        }
        check(CustomerViewProjection, &log);
        check(OrderHistoryProjection, &log);
        let threshold = crate::Money::from_cents(150_000);
        check(LowCreditLimitProjection { threshold }, &log);
        check(
            NewCustomersProjection {
                window: 50,
                threshold: crate::Money::from_cents(100),
            },
            &log,
        );
    }

    #[test]
    fn a_document_map_names_the_documents_written_since_they_were_last_taken() {
        let mut map: DocumentMap<String, u32> = DocumentMap::default();
        map.insert("a".into(), 1);
        map.insert("b".into(), 2);
        map.insert("c".into(), 3);
        let mut all = changes_of(&mut map);
        all.sort();
        assert_eq!(all.len(), 3);
        assert!(changes_of(&mut map).is_empty(), "taken once");
        *map.get_mut(&"b".to_string()).expect("b") += 10;
        assert!(map.get_mut(&"zz".to_string()).is_none());
        map.remove(&"a".to_string());
        map.retain(|key, _| key != "c");
        *map.get_or_default("d".into()) += 4;
        assert_eq!(
            changes_of(&mut map),
            vec![
                ("a".to_string(), None),
                ("b".to_string(), Some("12".to_string())),
                ("c".to_string(), None),
                ("d".to_string(), Some("4".to_string())),
            ]
        );
        // Serialized as the plain map; equal whatever changed.
        assert_eq!(
            serde_json::to_string(&map).expect("JSON"),
            r#"{"b":12,"d":4}"#
        );
        let read: DocumentMap<String, u32> =
            serde_json::from_str(r#"{"b":12,"d":4}"#).expect("reads");
        assert_eq!(read, map);
    }

    #[test]
    fn a_grouped_map_names_the_groups_written_and_each_group_holds_its_entries() {
        let mut map: GroupedMap<String, u32> = GroupedMap::default();
        for i in 0..1_000 {
            map.insert(format!("o{i}"), i);
        }
        assert_eq!(map.len(), 1_000);
        let all = map.take_all();
        assert!(
            all.len() > 200 && all.len() <= GROUPS as usize,
            "{}",
            all.len()
        );
        // Every group is an object of its own entries, and together they are the map.
        let mut seen = BTreeMap::new();
        for (group, json) in &all {
            let entries: BTreeMap<String, u32> =
                serde_json::from_str(json.as_deref().expect("a group")).expect("an object");
            for (key, value) in entries {
                assert_eq!(group_of(&key).to_string(), *group);
                assert!(seen.insert(key, value).is_none(), "one group per key");
            }
        }
        assert_eq!(seen.len(), 1_000);
        assert!(map.take_changed().is_empty(), "taken once");

        // One entry changed: its group only; a group left empty is removed.
        map.insert("o5".into(), 50);
        let changed = map.take_changed();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].0, group_of("o5").to_string());
        let mut lonely: GroupedMap<String, u32> = GroupedMap::default();
        lonely.insert("x".into(), 1);
        lonely.take_changed();
        assert_eq!(lonely.remove(&"x".to_string()), Some(1));
        assert_eq!(
            lonely.take_changed(),
            vec![(group_of("x").to_string(), None)]
        );
        assert!(lonely.is_empty());
        map.retain(|key, _| key != "o7" && key != "o8");
        assert_eq!(map.len(), 998);
        let mut retained: Vec<String> = map.take_changed().into_iter().map(|(g, _)| g).collect();
        retained.sort();
        let mut expected = vec![group_of("o7").to_string(), group_of("o8").to_string()];
        expected.sort();
        expected.dedup();
        assert_eq!(retained, expected);

        // Serialized as the plain map, and read back into the same groups.
        let json = serde_json::to_string(&map).expect("JSON");
        let plain: BTreeMap<String, u32> = serde_json::from_str(&json).expect("a plain map");
        assert_eq!(plain.len(), 998);
        let read: GroupedMap<String, u32> = serde_json::from_str(&json).expect("reads");
        assert_eq!(read, map);
        assert_eq!(read.get(&"o5".to_string()), Some(&50));
        assert!(!read.contains_key(&"o7".to_string()));
    }

    #[test]
    fn a_head_says_how_each_map_is_kept_and_groups_assemble_into_one_map() {
        let grouped = r#"{"n":1,"customers":{},"owners":[]}"#;
        assert_eq!(
            shapes(grouped),
            Some(BTreeMap::from([
                ("customers".to_string(), MapShape::Documents),
                ("owners".to_string(), MapShape::Groups),
            ]))
        );
        assert!(same_shape(grouped, r#"{"n":2,"customers":{},"owners":[]}"#));
        assert!(!same_shape(
            grouped,
            r#"{"n":1,"customers":{},"owners":{}}"#
        ));
        assert!(!same_shape(grouped, "not JSON"));
        let whole = assemble(
            grouped,
            [
                ("owners", "3", r#" {"o1":"c1","o2":"c2"} "#),
                ("owners", "9", "{}"),
                ("owners", "12", r#"{"o3":"c1"}"#),
                ("customers", "c1", r#"{"n":1}"#),
            ],
        )
        .expect("assembled");
        let value: serde_json::Value = serde_json::from_str(&whole).expect("JSON");
        assert_eq!(
            value,
            serde_json::json!({"n": 1, "customers": {"c1": {"n": 1}}, "owners": {"o1": "c1", "o2": "c2", "o3": "c1"}})
        );
        let empty = assemble(grouped, []).expect("assembled");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&empty).expect("JSON"),
            serde_json::json!({"n": 1, "customers": {}, "owners": {}})
        );
        assert!(assemble(grouped, [("owners", "3", r#""c1""#)]).is_err());
    }

    fn changes_of(map: &mut DocumentMap<String, u32>) -> Vec<(String, Option<String>)> {
        map.take_changed()
    }

    #[test]
    fn assembling_puts_each_document_in_its_map_and_refuses_a_damaged_part() {
        let whole = assemble(
            r#"{"last_event_id":7,"customers":{},"window":3}"#,
            [
                ("customers", "c\"2", r#"{"n":2}"#),
                ("customers", "c1", r#"{"n":1}"#),
                ("owners", "o1", r#""c1""#),
            ],
        )
        .expect("assembled");
        let value = |s: &str| serde_json::from_str::<serde_json::Value>(s).expect("JSON");
        assert_eq!(
            value(&whole),
            value(
                r#"{"customers":{"c\"2":{"n":2},"c1":{"n":1}},"last_event_id":7,"window":3,"owners":{"o1":"c1"}}"#
            )
        );
        assert!(assemble(
            r#"{"customers":{}}"#,
            [("customers", "c1", r#"{"n":1}},"x":{"#)]
        )
        .is_err());
        assert!(assemble("[1]", []).is_err());
    }
}
