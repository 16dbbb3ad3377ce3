// The new-story form on a phone: record in the browser (kept on the device until the server has
// it), and send a recording, made here or chosen, in chunks that carry on after a drop (tus).
"use strict";

import { addPiece, forget, listKept, loadBlob, saveDetails } from "./keep.js";

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
const CONSENTS = ["processing", "events", "research", "audio_at_events"];

const form = document.querySelector("form[data-story-form]");
if (form) setUp(form);

function setUp(storyForm) {
  const state = { chosen: null, owner: storyForm.dataset.owner };
  const canKeep = window.indexedDB && window.isSecureContext;
  const recorder = canKeep ? setUpRecorder(storyForm, state) : null;
  if (canKeep) showKept(storyForm, state, recorder).catch(() => {});
  noteSentUpload(storyForm);
  storyForm.addEventListener("submit", (event) => sendFirst(event, storyForm, state));
}

function clock(seconds) {
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

function consentSnapshot(storyForm) {
  const answers = { at: new Date().toISOString() };
  for (const name of CONSENTS) answers[name] = storyForm.querySelector(`#consent_${name}`).checked;
  return answers;
}

// The recorder: consent first, then start, pause, resume, stop, listen back, or delete.
function setUpRecorder(storyForm, state) {
  const box = storyForm.querySelector("[data-recorder]");
  if (!box || !window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) return null;
  box.hidden = false;
  const button = (name) => box.querySelector(`[data-record=${name}]`);
  const consent = storyForm.querySelector("#consent_processing");
  const timer = box.querySelector("[data-recorder-timer]");
  const playback = box.querySelector("[data-recorder-playback]");
  const say = (words) => { box.querySelector("[data-recorder-status]").textContent = words; };
  const show = (...names) => {
    for (const name of ["start", "pause", "resume", "stop", "discard"]) button(name).hidden = !names.includes(name);
  };
  const session = { media: null, details: null, pending: [], counted: 0, since: 0, tick: 0 };
  const elapsed = () => session.counted + (session.since ? (Date.now() - session.since) / 1000 : 0);

  const gate = () => {
    const allowed = consent.checked;
    button("start").disabled = !allowed;
    box.querySelector("[data-recorder-gate]").hidden = allowed;
  };
  consent.addEventListener("change", gate);
  gate();

  button("start").addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      say("The phone did not let Storybank use the microphone. Allow it in the browser's settings, or choose a recording file below.");
      return;
    }
    const type = TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
    const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const details = {
      id: crypto.randomUUID(), owner: state.owner, startedAt: new Date().toISOString(),
      type: media.mimeType || type || "audio/webm", seconds: 0,
      consent: consentSnapshot(storyForm), uploadUrl: null,
    };
    await saveDetails(details); // the consent is kept before any sound is
    Object.assign(session, { media, details, pending: [], counted: 0, since: Date.now() });
    let n = 0;
    media.addEventListener("dataavailable", (event) => {
      if (event.data.size) session.pending.push(addPiece(details.id, n++, event.data));
    });
    media.addEventListener("stop", () => finish(stream));
    media.start(1000);
    session.tick = setInterval(() => {
      timer.textContent = clock(elapsed());
      details.seconds = Math.round(elapsed());
    }, 250);
    playback.hidden = true;
    show("pause", "stop");
    say("Recording. It is saved on this phone as you go.");
  });

  button("pause").addEventListener("click", () => {
    session.media.pause();
    session.counted = elapsed();
    session.since = 0;
    show("resume", "stop");
    say(`Paused at ${clock(session.counted)}.`);
  });

  button("resume").addEventListener("click", () => {
    session.media.resume();
    session.since = Date.now();
    show("pause", "stop");
    say("Recording again.");
  });

  button("stop").addEventListener("click", () => {
    session.counted = elapsed();
    session.since = 0;
    session.media.stop();
  });

  async function finish(stream) {
    clearInterval(session.tick);
    for (const track of stream.getTracks()) track.stop();
    await Promise.all(session.pending);
    session.details.seconds = Math.round(session.counted);
    await saveDetails(session.details);
    await useRecording(session.details);
  }

  async function useRecording(details) {
    const blob = await loadBlob(details);
    state.chosen = { details, blob };
    if (playback.src) URL.revokeObjectURL(playback.src);
    playback.src = URL.createObjectURL(blob);
    playback.hidden = false;
    timer.textContent = clock(details.seconds);
    show("discard");
    say(`Recorded ${clock(details.seconds)}. Listen back if you like, then submit the story below. The recording stays on this phone until Storybank has it.`);
  }

  button("discard").addEventListener("click", async () => {
    if (!window.confirm("Delete this recording from this phone? It cannot be brought back.")) return;
    await forget(state.chosen.details.id);
    state.chosen = null;
    playback.hidden = true;
    timer.textContent = clock(0);
    show("start");
    gate();
    say("The recording was deleted.");
  });

  return { useRecording };
}

// Recordings this person made on this phone that never became a story: offer them again.
async function showKept(storyForm, state, recorder) {
  const panel = storyForm.querySelector("[data-kept-recordings]");
  const kept = await listKept(state.owner);
  if (!panel || !kept.length) return;
  panel.replaceChildren();
  for (const details of kept) panel.append(keptRecording(storyForm, state, recorder, details));
  panel.hidden = false;
}

function keptRecording(storyForm, state, recorder, details) {
  const item = document.createElement("div");
  item.className = "kept";
  const when = new Date(details.startedAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  const words = document.createElement("p");
  words.textContent = `A recording made on this phone (${clock(details.seconds)}, ${when}) has not been saved as a story yet.`;
  if (details.uploadUrl) words.textContent += " It may have been sent already: if it is in My stories, delete this copy.";
  const use = document.createElement("button");
  use.type = "button";
  use.textContent = "Use this recording";
  use.addEventListener("click", async () => {
    for (const name of CONSENTS) storyForm.querySelector(`#consent_${name}`).checked = Boolean(details.consent?.[name]);
    storyForm.querySelector("#consent_processing").dispatchEvent(new Event("change"));
    if (recorder) await recorder.useRecording(details);
    else state.chosen = { details, blob: await loadBlob(details) };
    item.remove();
  });
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Delete this copy";
  remove.addEventListener("click", async () => {
    if (!window.confirm("Delete this recording from this phone? It cannot be brought back.")) return;
    await forget(details.id);
    item.remove();
  });
  item.append(words, use, remove);
  return item;
}

// After a refused form, the recording is already on the server: say so, and do not send it again.
function noteSentUpload(storyForm) {
  if (!storyForm.querySelector("input[name=upload_id]").value) return;
  const progress = storyForm.querySelector("[data-upload-progress]");
  progress.hidden = false;
  progress.querySelector("progress").value = 1;
  progress.querySelector("[data-upload-label]").textContent = "The recording is sent. Fix what is listed above, then submit the story again.";
}

function sendFirst(event, storyForm, state) {
  const fileInput = storyForm.querySelector("input[name=audio_file]");
  const file = state.chosen ? state.chosen.blob : fileInput.files[0];
  const alreadySent = storyForm.querySelector("input[name=upload_id]").value;
  if (alreadySent && !file) return; // the plain post carries the finished upload's id
  if (!file || !window.tus || !window.tus.isSupported) return; // the plain form post sends it
  event.preventDefault();
  event.stopImmediatePropagation();
  if (storyForm.dataset.sending === "yes") return;
  storyForm.dataset.sending = "yes";
  for (const submit of storyForm.querySelectorAll("button[type=submit]")) submit.disabled = true;
  send(file, storyForm, state, fileInput);
}

function send(file, storyForm, state, fileInput) {
  const box = storyForm.querySelector("[data-upload-progress]");
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-upload-label]");
  const retry = box.querySelector("[data-upload-retry]");
  const megabytes = (bytes) => (bytes / 1048576).toFixed(1);
  box.hidden = false;
  box.scrollIntoView({ block: "center" });
  const token = document.querySelector("meta[name=csrf-token]").content;
  const kept = state.chosen?.details;
  const upload = new window.tus.Upload(file, {
    endpoint: storyForm.dataset.uploadUrl,
    uploadUrl: kept?.uploadUrl || null,
    chunkSize: Number(storyForm.dataset.chunkBytes),
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
    headers: { "X-CSRFToken": token },
    storeFingerprintForResuming: !kept, // a kept recording remembers its own upload address
    removeFingerprintOnSuccess: true,
    onUploadUrlAvailable: () => {
      if (kept) { kept.uploadUrl = upload.url; saveDetails(kept); }
    },
    onProgress: (sent, total) => {
      bar.value = total ? sent / total : 0;
      label.textContent = `Sending the recording: ${Math.floor(bar.value * 100)}% (${megabytes(sent)} of ${megabytes(total)} MB). Keep this page open.`;
    },
    onSuccess: () => {
      retry.hidden = true;
      storyForm.querySelector("input[name=upload_id]").value = upload.url.split("/").pop();
      fileInput.value = "";
      label.textContent = "The recording is sent. Saving the story…";
      HTMLFormElement.prototype.submit.call(storyForm);
    },
    onError: (error) => {
      const answer = error.originalResponse;
      const refused = answer && answer.getStatus() >= 400 && answer.getStatus() < 500 && answer.getStatus() !== 409;
      label.textContent = refused
        ? `The server did not accept the recording: ${answer.getBody() || "try again"}`
        : `The connection dropped at ${Math.floor(bar.value * 100)}%. Nothing is lost: sending carries on when the signal is back, or try again now.`;
      retry.hidden = false;
      const carryOn = () => { retry.hidden = true; label.textContent = "Carrying on…"; upload.start(); };
      retry.onclick = carryOn;
      if (!refused) window.addEventListener("online", carryOn, { once: true });
    },
  });
  if (kept) { upload.start(); return; }
  upload.findPreviousUploads().then((previous) => {
    if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
    upload.start();
  });
}
