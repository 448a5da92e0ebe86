// Event records from IndexedDB, packed for the Rust side in two transfers instead of a dozen
// calls per record: every string field joined by NUL into one string, every number into one
// Float64Array. Loaded by wasm-bindgen as a module file (no eval). Returns null when a record is
// not the plain shape the store writes (a missing or mistyped field, a NUL inside a string, a
// NaN), and the Rust side then decodes record by record and reports exactly what is wrong.

const SEP = '\u0000';
const STRINGS = 6;
const NUMBERS = 5;

function text(value) {
  return typeof value === 'string' && !value.includes(SEP);
}

function number(value) {
  return typeof value === 'number' && !Number.isNaN(value);
}

export function packRecords(records) {
  const n = records.length;
  const parts = new Array(n * STRINGS);
  const nums = new Float64Array(n * NUMBERS);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object') return null;
    const m = r.metadata;
    if (m === null || typeof m !== 'object') return null;
    const s = i * STRINGS;
    parts[s] = r.entity_type;
    parts[s + 1] = r.entity_id;
    parts[s + 2] = r.event_type;
    parts[s + 3] = r.event_data;
    parts[s + 4] = m.actor;
    parts[s + 5] = m.correlation_id;
    for (let j = s; j < s + STRINGS; j++) {
      if (!text(parts[j])) return null;
    }
    const cause = m.causation_id;
    if (!number(r.event_id) || !number(r.version) || !number(r.schema_version) || !number(r.recorded_at)) {
      return null;
    }
    if (cause !== null && cause !== undefined && !number(cause)) return null;
    const k = i * NUMBERS;
    nums[k] = r.event_id;
    nums[k + 1] = r.version;
    nums[k + 2] = r.schema_version;
    nums[k + 3] = r.recorded_at;
    nums[k + 4] = cause === null || cause === undefined ? NaN : cause;
  }
  return [parts.join(SEP), nums];
}

// One event record as the store writes it, built in one call instead of a call per field.
export function eventRecord(
  eventId, entityType, entityId, version, eventType, schemaVersion, eventData, recordedAt,
  actor, correlationId, causationId,
) {
  return {
    event_id: eventId,
    entity_type: entityType,
    entity_id: entityId,
    version,
    event_type: eventType,
    schema_version: schemaVersion,
    event_data: eventData,
    recorded_at: recordedAt,
    metadata: { actor, correlation_id: correlationId, causation_id: causationId },
  };
}

// The documents of a view saved in parts, packed like the events: map, key and JSON of every
// record joined by NUL into one string. Null when a record is not the plain shape the store writes.
export function packParts(records) {
  const parts = new Array(records.length * 3);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object') return null;
    parts[3 * i] = r.map;
    parts[3 * i + 1] = r.key;
    parts[3 * i + 2] = r.json;
    for (let j = 3 * i; j < 3 * i + 3; j++) {
      if (!text(parts[j])) return null;
    }
  }
  return parts.join(SEP);
}

// One document record of a view saved in parts.
export function partRecord(subscriber, map, key, json) {
  return { subscriber, map, key, json };
}

// An append that reads nothing (see `Shared::append_unread` in idb.rs), in one call: a readwrite
// transaction over the `events` store and an add of every record, guarded by the store's keys:
// the event-id key and the unique stream index refuse a record another writer got to first, and a
// refused add aborts the whole transaction, so nothing is kept. Where this browser has shown it
// may (see `earlyCommitIsSafe`, asked at the first append, on `probeStore`), the transaction is
// told at once to commit with `commit()`: IndexedDB then commits as soon as the adds are done,
// without waiting to hear from the page again, and still aborts the whole transaction if an add is
// refused. The promise resolves once the transaction has committed, and rejects with the error
// that stopped it otherwise (a refused add among them: nothing stored). Kept in JavaScript so the
// common command costs one call and one wait, not a dozen crossings.
export function appendGuarded(db, events, probeStore, records) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(events, 'readwrite');
    earlyCommitIsSafe(db, probeStore);
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
    try {
      const store = tx.objectStore(events);
      for (const record of records) store.add(record);
      if (commitEarly) tx.commit();
    } catch (e) {
      tx.abort();
      reject(e);
    }
  });
}

// Whether `appendGuarded` may commit early in this browser: only where a transaction told to
// commit is still aborted whole when a write issued before is then refused, as the IndexedDB
// specification says. Firefox, in the store's tests, kept the other writes of such a transaction
// (and its own test expectations list the case as failing at times), so only Chromium-based
// browsers are tried, and there the browser shows it first, once per page, in the background
// (not at open: the probe writes, and a write can wait behind the browser's upkeep of its files,
// which opening the lab must not): in a readwrite transaction over `store`, two adds under one
// new key (the second refused), then `commit()` at once, as an append does it. Resolves with true
// only when that transaction was aborted by the refused add and the first add was not kept; with
// false otherwise, and when anything else went wrong (a full disk among them), leaving nothing
// behind. Appends made before the answer do not commit early.
let earlyCommitVerdict = null;
let commitEarly = false;

export function earlyCommitIsSafe(db, store) {
  if (earlyCommitVerdict === null) {
    earlyCommitVerdict = probeEarlyCommit(db, store).catch(() => false);
    earlyCommitVerdict.then((safe) => {
      commitEarly = safe;
    });
  }
  return earlyCommitVerdict;
}

async function probeEarlyCommit(db, store) {
  const brands = globalThis.navigator?.userAgentData?.brands ?? [];
  if (!brands.some((b) => b.brand === 'Chromium')) return false;
  if (typeof IDBTransaction === 'undefined' || typeof IDBTransaction.prototype.commit !== 'function') {
    return false;
  }
  const probe = `commit-probe-${Math.random().toString(36).slice(2)}`;
  const ended = await new Promise((resolve) => {
    let tx;
    try {
      tx = db.transaction(store, 'readwrite');
    } catch {
      resolve('not started');
      return;
    }
    tx.oncomplete = () => resolve('committed');
    tx.onabort = () => resolve(tx.error?.name === 'ConstraintError' ? 'refused' : 'aborted');
    try {
      const target = tx.objectStore(store);
      target.add(1, probe);
      target.add(2, probe);
      tx.commit();
    } catch {
      tx.abort();
    }
  });
  if (ended === 'refused') return (await keyIn(db, store, probe)) === false;
  if (ended === 'committed') await removeKey(db, store, probe);
  return false;
}

// Whether `key` is in `store` (null when it could not be read).
function keyIn(db, store, key) {
  return new Promise((resolve) => {
    try {
      const request = db.transaction(store).objectStore(store).getKey(key);
      request.onsuccess = () => resolve(request.result !== undefined);
      request.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

function removeKey(db, store, key) {
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(store, 'readwrite');
      tx.objectStore(store).delete(key);
      tx.oncomplete = () => resolve();
      tx.onabort = () => resolve();
    } catch {
      resolve();
    }
  });
}
