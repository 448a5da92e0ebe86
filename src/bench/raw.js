// The benchmark's baselines: the same work written directly against IndexedDB, with no Rust and no
// library in between, called from src/bench/mod.rs, which times every call the same way it times
// the store. A classic script, not a module the app imports: the /bench page adds it to the page
// when a run starts (`load_baselines`), so it is not part of every visitor's first download. It
// defines `globalThis.foldlabRaw` and nothing else.
//
// The schema is the one crates/store/src/browser/idb.rs creates: `events` keyed by `event_id`
// with the unique index `stream` on [entity_type, entity_id, version], then `checkpoints`,
// `snapshots`, `parts` and `meta`, so a raw put pays for the same index as the store's add. A
// database is opened at the version it has (figures c and i read the store's own database, whose
// version each reset raises) or created at version 1 (the baselines' own databases); like the
// store's, a connection closes when another asks for a new version, so a reset never waits for it.

(() => {
  'use strict';

  function rawOpen(name) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          const events = db.createObjectStore('events', { keyPath: 'event_id' });
          events.createIndex('stream', ['entity_type', 'entity_id', 'version'], { unique: true });
          db.createObjectStore('checkpoints', { keyPath: 'subscriber' });
        }
        if (event.oldVersion < 2) {
          db.createObjectStore('snapshots', { keyPath: ['entity_type', 'entity_id'] });
        }
        if (event.oldVersion < 3) {
          db.createObjectStore('parts', { keyPath: ['subscriber', 'map', 'key'] });
        }
        if (event.oldVersion < 4) {
          db.createObjectStore('meta');
        }
      };
      request.onsuccess = () => {
        request.result.onversionchange = () => request.result.close();
        resolve(request.result);
      };
      request.onerror = () => reject(request.error);
    });
  }

  function rawClose(db) {
    db.close();
  }

  function rawDelete(name) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error(`deleting ${name} is blocked by an open connection`));
    });
  }

  // One record as the store writes it: the envelope's fields, event_data a JSON string.
  function record(id, entityId, version, template, type, data) {
    return {
      event_id: id,
      entity_type: template.entity_type,
      entity_id: entityId,
      version,
      event_type: type,
      schema_version: template.schema_version,
      event_data: data,
      recorded_at: template.recorded_at,
      metadata: {
        actor: template.actor,
        correlation_id: template.correlation_id,
        causation_id: template.causation_id,
      },
    };
  }

  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  }

  // Figure a's baseline: `datas.length` events of stream `entityId` (versions 1..) with ids from
  // `firstId`, put in one readwrite transaction; resolves when it has committed.
  function rawBatch(db, firstId, entityId, template, types, datas) {
    const tx = db.transaction('events', 'readwrite');
    const store = tx.objectStore('events');
    for (let i = 0; i < datas.length; i++) {
      store.put(record(firstId + i, entityId, i + 1, template, types[i], datas[i]));
    }
    return done(tx);
  }

  // Figure b's baseline: the same events, one put per transaction, each awaited before the next.
  async function rawSingles(db, firstId, entityId, template, types, datas) {
    for (let i = 0; i < datas.length; i++) {
      const tx = db.transaction('events', 'readwrite');
      tx.objectStore('events').put(record(firstId + i, entityId, i + 1, template, types[i], datas[i]));
      await done(tx);
    }
  }

  // Figure c's baseline: every event in one getAll; resolves with how many were read.
  function rawGetAll(db) {
    return new Promise((resolve, reject) => {
      const request = db.transaction('events').objectStore('events').getAll();
      request.onsuccess = () => resolve(request.result.length);
      request.onerror = () => reject(request.error);
    });
  }

  // Figure h's baseline: one batch of a generated history, versions from `firstVersion` and ids from
  // `firstId`, each record with its own correlation id (as the generator stamps them), put in one
  // readwrite transaction; resolves when it has committed.
  function rawHistoryBatch(db, firstId, firstVersion, entityId, template, types, datas, correlations) {
    const tx = db.transaction('events', 'readwrite');
    const store = tx.objectStore('events');
    for (let i = 0; i < datas.length; i++) {
      const r = record(firstId + i, entityId, firstVersion + i, template, types[i], datas[i]);
      r.metadata.correlation_id = correlations[i];
      store.put(r);
    }
    return done(tx);
  }

  // Figure i's baseline: the whole log read `page` records at a time with getAll, and every record's
  // event_data parsed; resolves with how many records were parsed.
  async function rawReplay(db, page) {
    let after = 0;
    let parsed = 0;
    for (;;) {
      const records = await new Promise((resolve, reject) => {
        const range = IDBKeyRange.lowerBound(after, true);
        const request = db.transaction('events').objectStore('events').getAll(range, page);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      if (records.length === 0) return parsed;
      for (const r of records) {
        if (JSON.parse(r.event_data) !== null) parsed++;
      }
      after = records[records.length - 1].event_id;
    }
  }

  globalThis.foldlabRaw = { rawOpen, rawClose, rawDelete, rawBatch, rawSingles, rawGetAll, rawHistoryBatch, rawReplay };
})();
