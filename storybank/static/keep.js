// Keeps recordings on this device (IndexedDB) until the server has the whole story, so that a
// closed tab, a flat battery or a dropped signal loses nothing. Each second of sound is saved as
// it is recorded, as its own small piece.
"use strict";

const DB_NAME = "storybank-recordings";
const RECORDINGS = "recordings";
const PIECES = "pieces";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opened = null; // one connection per page

function open() {
  if (!opened) {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(RECORDINGS, { keyPath: "id" });
      db.createObjectStore(PIECES, { keyPath: ["recording", "n"] });
    };
    opened = request(req).catch((error) => { opened = null; throw error; });
  }
  return opened;
}

async function store(name, mode = "readonly") {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

function done(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

// A recording's details: owner, when, type, consent given before it started, upload state.
export async function saveDetails(details) {
  const recordings = await store(RECORDINGS, "readwrite");
  recordings.put(details);
  await done(recordings.transaction);
}

export async function addPiece(recordingId, n, blob) {
  const pieces = await store(PIECES, "readwrite");
  pieces.put({ recording: recordingId, n, blob });
  await done(pieces.transaction);
}

// The recordings this person made on this device and has not yet seen saved as stories.
export async function listKept(owner) {
  const recordings = await store(RECORDINGS);
  const all = await request(recordings.getAll());
  return all.filter((details) => details.owner === owner);
}

export async function loadBlob(details) {
  const pieces = await store(PIECES);
  const range = IDBKeyRange.bound([details.id, 0], [details.id, Number.MAX_SAFE_INTEGER]);
  const found = await request(pieces.getAll(range));
  return new Blob(found.map((piece) => piece.blob), { type: details.type });
}

export async function forget(recordingId) {
  const db = await open();
  const transaction = db.transaction([RECORDINGS, PIECES], "readwrite");
  transaction.objectStore(RECORDINGS).delete(recordingId);
  const range = IDBKeyRange.bound([recordingId, 0], [recordingId, Number.MAX_SAFE_INTEGER]);
  transaction.objectStore(PIECES).delete(range);
  await done(transaction);
}

// The server confirmed that a story holds this upload: the device's copy can go.
export async function forgetUpload(uploadId) {
  const recordings = await store(RECORDINGS);
  const all = await request(recordings.getAll());
  for (const details of all) {
    if (details.uploadUrl && details.uploadUrl.endsWith(`/${uploadId}`)) await forget(details.id);
  }
}
