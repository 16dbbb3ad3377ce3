// The new-story form on a phone: record in the browser (kept on the device until the server has
// it), and send a recording, made here or chosen, in chunks that carry on after a drop (tus).
"use strict";

import { addPiece, forget, listKept, loadBlob, saveDetails } from "./keep.js";

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
const CONSENTS = ["processing", "events", "research", "audio_at_events"];
const BUTTONS = ["start", "pause", "resume", "stop", "discard"];

const form = document.querySelector("form[data-story-form]");
if (form) setUp(form);

function setUp(storyForm) {
  const state = { chosen: null, owner: storyForm.dataset.owner, sending: null };
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

function consentGiven(storyForm) {
  return storyForm.querySelector("#consent_processing").checked;
}

function consentSnapshot(storyForm) {
  const answers = { at: new Date().toISOString() };
  for (const name of CONSENTS) answers[name] = storyForm.querySelector(`#consent_${name}`).checked;
  return answers;
}

// Throws away what the server holds of a recording deleted on the phone (tus termination).
function cancelOnServer(uploadUrl) {
  if (!uploadUrl) return;
  const token = document.querySelector("meta[name=csrf-token]").content;
  fetch(uploadUrl, { method: "DELETE", headers: { "Tus-Resumable": "1.0.0", "X-CSRFToken": token } })
    .catch(() => {}); // it expires on the server anyway
}

async function deleteCopy(details) {
  await forget(details.id);
  cancelOnServer(details.uploadUrl);
}

// The recorder's screen: which buttons show, the timer, the words, and where focus goes.
function recorderScreen(box, storyForm) {
  const button = (name) => box.querySelector(`[data-record=${name}]`);
  const screen = {
    button,
    timer: box.querySelector("[data-recorder-timer]"),
    playback: box.querySelector("[data-recorder-playback]"),
    say: (words) => { box.querySelector("[data-recorder-status]").textContent = words; },
    show: (...names) => {
      const hadFocus = box.contains(document.activeElement);
      for (const name of BUTTONS) button(name).hidden = !names.includes(name);
      // A hidden button cannot keep focus: hand it to the first one still shown.
      if (hadFocus && document.activeElement.hidden) button(names[0])?.focus();
    },
    gate: () => {
      button("start").disabled = !consentGiven(storyForm);
      box.querySelector("[data-recorder-gate]").hidden = consentGiven(storyForm);
    },
  };
  storyForm.querySelector("#consent_processing").addEventListener("change", screen.gate);
  screen.gate();
  return screen;
}

// The recorder: consent first, then start, pause, resume, stop, listen back, or delete.
function setUpRecorder(storyForm, state) {
  const box = storyForm.querySelector("[data-recorder]");
  if (!box || !window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) return null;
  box.hidden = false;
  const screen = recorderScreen(box, storyForm);
  const session = { media: null, details: null, pending: [], counted: 0, since: 0, tick: 0, lost: 0 };
  const elapsed = () => session.counted + (session.since ? (Date.now() - session.since) / 1000 : 0);

  screen.button("start").addEventListener("click", () => startRecording(storyForm, state, screen, session, elapsed));
  screen.button("pause").addEventListener("click", () => {
    session.media.pause();
    session.counted = elapsed();
    session.since = 0;
    screen.show("resume", "stop");
    screen.say(`Paused at ${clock(session.counted)}.`);
  });
  screen.button("resume").addEventListener("click", () => {
    session.media.resume();
    session.since = Date.now();
    screen.show("pause", "stop");
    screen.say("Recording again.");
  });
  screen.button("stop").addEventListener("click", () => {
    session.counted = elapsed();
    session.since = 0;
    session.media.stop();
  });
  screen.button("discard").addEventListener("click", async () => {
    if (!window.confirm("Delete this recording from this phone? It cannot be brought back.")) return;
    await deleteCopy(state.chosen.details);
    state.chosen = null;
    screen.playback.hidden = true;
    screen.timer.textContent = clock(0);
    screen.show("start");
    screen.gate();
    screen.say("The recording was deleted.");
  });
  return { useRecording: (details) => useRecording(details, state, screen) };
}

async function startRecording(storyForm, state, screen, session, elapsed) {
  const start = screen.button("start");
  start.disabled = true; // a second tap must not start a second recorder
  let stream = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
    const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const details = {
      id: crypto.randomUUID(), owner: state.owner, startedAt: new Date().toISOString(),
      type: media.mimeType || type || "audio/webm", seconds: 0,
      consent: consentSnapshot(storyForm), uploadUrl: null,
    };
    await saveDetails(details); // the consent is kept before any sound is
    Object.assign(session, { media, details, pending: [], counted: 0, since: Date.now(), lost: 0 });
    let n = 0;
    media.addEventListener("dataavailable", (event) => {
      if (!event.data.size) return;
      session.pending.push(addPiece(details.id, n++, event.data).catch(() => {
        session.lost += 1;
        screen.say("This phone is out of space: the recording is not being saved. Stop, and free some space.");
      }));
    });
    const tracks = stream;
    media.addEventListener("stop", () => finishRecording(tracks, state, screen, session));
    media.start(1000);
  } catch {
    for (const track of stream?.getTracks() || []) track.stop();
    screen.gate();
    screen.say("The phone did not let Storybank use the microphone. Allow it in the browser's settings, or choose a recording file below.");
    return;
  }
  session.tick = setInterval(() => {
    screen.timer.textContent = clock(elapsed());
    session.details.seconds = Math.round(elapsed());
  }, 250);
  screen.playback.hidden = true;
  screen.show("pause", "stop");
  screen.say("Recording. It is saved on this phone as you go.");
}

async function finishRecording(stream, state, screen, session) {
  clearInterval(session.tick);
  for (const track of stream.getTracks()) track.stop();
  try {
    await Promise.all(session.pending);
    session.details.seconds = Math.round(session.counted);
    await saveDetails(session.details);
    await useRecording(session.details, state, screen);
    if (session.lost) screen.say(`Recorded ${clock(session.counted)}, but parts could not be saved on this phone. Listen back before you send it.`);
  } catch {
    screen.show("start");
    screen.gate();
    screen.say("The recording could not be kept on this phone. Free some space, then record again.");
  }
}

async function useRecording(details, state, screen) {
  const blob = await loadBlob(details);
  state.chosen = { details, blob };
  if (screen.playback.src) URL.revokeObjectURL(screen.playback.src);
  screen.playback.src = URL.createObjectURL(blob);
  screen.playback.hidden = false;
  screen.timer.textContent = clock(details.seconds);
  screen.show("discard");
  screen.say(`Recorded ${clock(details.seconds)}. Listen back if you like, then submit the story below. The recording stays on this phone until Storybank has it.`);
}

// Recordings this person made on this phone that never became a story: offer them again.
async function showKept(storyForm, state, recorder) {
  const panel = storyForm.querySelector("[data-kept-recordings]");
  // After a refused form the recording just sent is already on its way: do not offer it again.
  const sentId = storyForm.querySelector("input[name=upload_id]").value;
  const kept = (await listKept(state.owner))
    .filter((details) => !(sentId && details.uploadUrl?.endsWith(`/${sentId}`)));
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
    leave(item, storyForm.querySelector("[data-recorder-status]"));
  });
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Delete this copy";
  remove.addEventListener("click", async () => {
    if (!window.confirm("Delete this recording from this phone? It cannot be brought back.")) return;
    await deleteCopy(details);
    leave(item, storyForm.querySelector("h1") || document.body);
  });
  item.append(words, use, remove);
  return item;
}

// Remove an offered recording without dropping keyboard focus on the floor.
function leave(item, next) {
  const panel = item.parentElement;
  item.remove();
  if (panel && !panel.children.length) panel.hidden = true;
  if (next) {
    if (!next.hasAttribute("tabindex")) next.setAttribute("tabindex", "-1");
    next.focus();
  }
}

// After a refused form, the recording is already on the server: say so, and do not send it again.
function noteSentUpload(storyForm) {
  if (!storyForm.querySelector("input[name=upload_id]").value) return;
  const box = progressBox(storyForm);
  box.show();
  box.bar.value = 1;
  box.label.textContent = "The recording is sent. Fix what is listed above, then submit the story again.";
}

function progressBox(storyForm) {
  const box = storyForm.querySelector("[data-upload-progress]");
  return {
    show: () => { box.hidden = false; box.scrollIntoView({ block: "center" }); },
    bar: box.querySelector("progress"),
    label: box.querySelector("[data-upload-label]"),
    spoken: box.querySelector("[data-upload-spoken]"),
    retry: box.querySelector("[data-upload-retry]"),
  };
}

function setSending(storyForm, sending) {
  storyForm.dataset.sending = sending ? "yes" : "";
  for (const submit of storyForm.querySelectorAll("button[type=submit]")) submit.disabled = sending;
}

function sendFirst(event, storyForm, state) {
  const fileInput = storyForm.querySelector("input[name=audio_file]");
  const file = state.chosen ? state.chosen.blob : fileInput.files[0];
  if (!file) return; // a written story, or the finished upload's id: the plain post
  if (!window.tus || !window.tus.isSupported) {
    if (!state.chosen) return; // the plain form post sends the chosen file
    event.preventDefault(); // a recording made here cannot go without the page's script
    const box = progressBox(storyForm);
    box.show();
    box.label.textContent = "The page did not load fully. Reload it: the recording is kept on this phone.";
    return;
  }
  event.preventDefault();
  event.stopImmediatePropagation();
  if (storyForm.dataset.sending === "yes") return;
  if (!consentGiven(storyForm)) {
    const box = progressBox(storyForm);
    box.show();
    box.label.textContent = "Nothing was sent. First tick that the storyteller agrees Storybank may process and store the story.";
    storyForm.querySelector("#consent_processing").focus();
    return;
  }
  setSending(storyForm, true);
  send(file, storyForm, state, fileInput);
}

function send(file, storyForm, state, fileInput) {
  const box = progressBox(storyForm);
  const megabytes = (bytes) => (bytes / 1048576).toFixed(1);
  box.show();
  const kept = state.chosen?.details;
  let saving = Promise.resolve();
  let spokenStep = -1;
  const upload = new window.tus.Upload(file, {
    endpoint: storyForm.dataset.uploadUrl,
    uploadUrl: kept?.uploadUrl || null,
    chunkSize: Number(storyForm.dataset.chunkBytes),
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
    headers: { "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
    storeFingerprintForResuming: !kept, // a kept recording remembers its own upload address
    removeFingerprintOnSuccess: true,
    onUploadUrlAvailable: () => {
      if (kept) { kept.uploadUrl = upload.url; saving = saveDetails(kept); }
    },
    onProgress: (sent, total) => {
      box.bar.value = total ? sent / total : 0;
      const percent = Math.floor(box.bar.value * 100);
      box.label.textContent = `Sending the recording: ${percent}% (${megabytes(sent)} of ${megabytes(total)} MB). Keep this page open.`;
      if (Math.floor(percent / 25) !== spokenStep) { // a screen reader hears every quarter
        spokenStep = Math.floor(percent / 25);
        box.spoken.textContent = `Sending the recording: ${percent}%.`;
      }
    },
    onSuccess: async () => {
      box.retry.hidden = true;
      storyForm.querySelector("input[name=upload_id]").value = upload.url.split("/").pop();
      fileInput.value = "";
      box.label.textContent = box.spoken.textContent = "The recording is sent. Saving the story…";
      await saving.catch(() => {}); // the phone's copy must know its address before the story is saved
      HTMLFormElement.prototype.submit.call(storyForm);
    },
    onError: (error) => stopped(error, upload, storyForm, box),
  });
  if (kept) { upload.start(); return; }
  upload.findPreviousUploads()
    .then((previous) => { if (previous.length) upload.resumeFromPreviousUpload(previous[0]); })
    .catch(() => {})
    .finally(() => upload.start());
}

// The upload stopped: a refusal says why and lets the person change things; a dropped
// connection carries on by itself when the phone is back online, or at a tap.
function stopped(error, upload, storyForm, box) {
  const answer = error.originalResponse;
  const status = answer ? answer.getStatus() : 0;
  const refused = status >= 400 && status < 500 && status !== 409 && status !== 423;
  box.retry.hidden = false;
  if (refused) {
    box.label.textContent = box.spoken.textContent = `The server did not accept the recording: ${answer.getBody() || "try again"}`;
    setSending(storyForm, false);
    box.retry.hidden = true;
    return;
  }
  box.label.textContent = box.spoken.textContent = `The connection dropped at ${Math.floor(box.bar.value * 100)}%. Nothing is lost: sending carries on when the signal is back, or try again now.`;
  const carryOn = () => {
    window.removeEventListener("online", carryOn);
    box.retry.hidden = true;
    box.label.textContent = "Carrying on…";
    upload.start();
  };
  box.retry.onclick = carryOn;
  window.removeEventListener("online", box.retry.onlineHandler || (() => {}));
  box.retry.onlineHandler = carryOn;
  window.addEventListener("online", carryOn, { once: true });
}
