// Storybank's small script: one submit per form, and live progress while a story is worked on.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.hasAttribute("data-once")) return;
  if (form.dataset.sent === "yes") { event.preventDefault(); return; }
  form.dataset.sent = "yes";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = true;
    button.textContent = "Sending…";
  }
});

const WORKING = new Set(["received", "transcribing", "anonymising", "tagging"]);

function renderStages(list, jobs) {
  list.replaceChildren();
  for (const job of jobs) {
    const item = document.createElement("li");
    item.className = `stage stage-${job.status}`;
    const name = document.createElement("span");
    name.className = "stage-name";
    name.textContent = job.label;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    bar.textContent = `${Math.round(job.progress * 100)}%`;
    const status = document.createElement("span");
    status.className = "stage-status";
    status.textContent = job.status_label;
    item.append(name, bar, status);
    if (job.error) {
      const error = document.createElement("span");
      error.className = "stage-error";
      error.textContent = job.error;
      item.append(error);
    }
    list.append(item);
  }
}

function pollProgress(section) {
  const url = section.dataset.progressUrl;
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      section.querySelector("[data-role=status-label]").textContent = data.status_label;
      renderStages(section.querySelector("[data-role=stages]"), data.jobs);
      if (WORKING.has(data.status)) {
        setTimeout(tick, 2000);
      } else if (data.status !== section.dataset.status) {
        window.location.reload();  // a new state brings new actions (retry, review)
      }
    } catch (error) {
      setTimeout(tick, 5000);
    }
  };
  if (WORKING.has(section.dataset.status)) setTimeout(tick, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const section of document.querySelectorAll("[data-progress-url]")) pollProgress(section);
});

// The transcript follows the audio: tap a word to jump there; the spoken line is highlighted.
function linkTranscript(player) {
  const audio = player.querySelector("[data-audio]");
  const transcript = document.querySelector("[data-transcript]");
  if (!audio || !transcript) return;
  const segments = Array.from(transcript.querySelectorAll(".segment[data-start]"));
  const words = Array.from(transcript.querySelectorAll(".word[data-start]"));
  let currentSegment = null;
  let currentWord = null;
  const seek = (element) => {
    audio.currentTime = Number(element.dataset.start);
    audio.play().catch(() => {});
  };
  transcript.addEventListener("click", (event) => {
    const target = event.target.closest("[data-start]");
    if (target) seek(target);
  });
  transcript.addEventListener("keydown", (event) => {
    // A line is one Tab stop (a button), not each of its words.
    if ((event.key === "Enter" || event.key === " ") && event.target.matches(".segment[data-start]")) {
      event.preventDefault();
      seek(event.target);
    }
  });
  const find = (items, time) => {
    let low = 0;
    let high = items.length - 1;
    let found = null;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (Number(items[middle].dataset.start) <= time) { found = items[middle]; low = middle + 1; } else { high = middle - 1; }
    }
    return found && time <= Number(found.dataset.end) + 0.5 ? found : null;
  };
  audio.addEventListener("timeupdate", () => {
    const time = audio.currentTime;
    const segment = find(segments, time);
    if (segment !== currentSegment) {
      if (currentSegment) currentSegment.classList.remove("playing");
      if (segment) {
        segment.classList.add("playing");
        if (!audio.paused) segment.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
      currentSegment = segment;
    }
    const word = find(words, time);
    if (word !== currentWord) {
      if (currentWord) currentWord.classList.remove("current");
      if (word) word.classList.add("current");
      currentWord = word;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const player of document.querySelectorAll("[data-player]")) linkTranscript(player);
  // The server holds a recording sent from this phone as a story now: forget the phone's copy.
  const sent = [...document.querySelectorAll("[data-sent-upload]")].map((el) => el.dataset.sentUpload);
  if (sent.length && window.indexedDB) {
    import("./keep.js").then((keep) => Promise.all(sent.map((id) => keep.forgetUpload(id)))).catch(() => {});
  }
});

// Selecting words in the story fills the "hide these words" form with their offsets.
function offsetIn(root, node, offset) {
  let element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  while (element && element !== root && !element.hasAttribute("data-offset")) element = element.parentElement;
  if (!element || element === root) return null;
  // Offsets count characters of the story only, so a placeholder's <sup> is skipped.
  let count = 0;
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode;
    if (text.parentElement.closest("sup")) continue;
    if (text === node) return Number(element.dataset.offset) + count + offset;
    count += text.data.length;
  }
  return Number(element.dataset.offset) + count;
}

function linkRedactionSelection(root) {
  const form = document.querySelector("[data-add-redaction]");
  if (!form) return;
  const label = form.querySelector("[data-selection-label]");
  document.addEventListener("selectionchange", () => {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!root.contains(range.commonAncestorContainer)) return;
    const start = offsetIn(root, range.startContainer, range.startOffset);
    const end = offsetIn(root, range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return;
    form.elements.start.value = start;
    form.elements.end.value = end;
    label.textContent = `Selected: “${selection.toString().trim()}”`;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const root of document.querySelectorAll("[data-redactable]")) linkRedactionSelection(root);
});

// Selecting transcript words fills the "hide these words" form; "Listen at" links play in the page.
function linkWordPicking(transcript) {
  const form = document.querySelector("form[data-hide-words]");
  if (!form) return;
  const first = form.querySelector("select[name=from_word]");
  const last = form.querySelector("select[name=to_word]");
  const label = form.querySelector("[data-word-selection]");
  const wordAt = (node) => {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    return element ? element.closest(".word[data-word]") : null;
  };
  document.addEventListener("selectionchange", () => {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!transcript.contains(range.commonAncestorContainer)) return;
    let from = wordAt(range.startContainer);
    let to = wordAt(range.endContainer);
    if (!from || !to) {
      const inside = Array.from(transcript.querySelectorAll(".word[data-word]")).filter((word) => range.intersectsNode(word));
      if (!inside.length) return;
      from = from || inside[0];
      to = to || inside[inside.length - 1];
    }
    first.value = from.dataset.word;
    last.value = to.dataset.word;
    // The words themselves, without the "?" and screen-reader notes inside each word.
    const low = Number(from.dataset.word);
    const high = Number(to.dataset.word);
    const chosen = Array.from(transcript.querySelectorAll(".word[data-word]"))
      .filter((word) => Number(word.dataset.word) >= low && Number(word.dataset.word) <= high)
      .map((word) => word.firstChild.textContent);
    label.textContent = `Selected: “${chosen.join(" ")}”. Press “Hide these words in the recording”.`;
  });
}

function linkSeekLinks(player) {
  const audio = player.querySelector("[data-audio]");
  if (!audio) return;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-seek]");
    if (!link) return;
    event.preventDefault();
    audio.currentTime = Math.max(Number(link.dataset.seek) - 1, 0);
    audio.play().catch(() => {});
    player.scrollIntoView({ block: "nearest" });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const transcript of document.querySelectorAll("[data-word-picker]")) linkWordPicking(transcript);
  for (const player of document.querySelectorAll("[data-player]")) linkSeekLinks(player);
});

// Quote picking: a selection inside the story's text fills the passage and its offsets, so
// the server can check that the quote is the story's exact words at that place.
function linkQuotePicking(source) {
  const form = document.querySelector("[data-quote-form]");
  if (!form) return;
  const passage = form.querySelector("[data-quote-passage]");
  const start = form.querySelector("[data-quote-start]");
  const end = form.querySelector("[data-quote-end]");
  document.addEventListener("selectionchange", () => {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!source.contains(range.startContainer) || !source.contains(range.endContainer)) return;
    const before = document.createRange();
    before.selectNodeContents(source);
    before.setEnd(range.startContainer, range.startOffset);
    const offset = before.toString().length;
    const text = range.toString();
    passage.value = text;
    start.value = String(offset);
    end.value = String(offset + text.length);
  });
  passage.addEventListener("input", () => { start.value = ""; end.value = ""; });
}

// A link that makes a file on the server (a PDF, say) says so while it works.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-busy]");
  if (!link) return;
  const label = link.textContent;
  link.setAttribute("aria-busy", "true");
  link.textContent = link.dataset.busy;
  setTimeout(() => { link.textContent = label; link.removeAttribute("aria-busy"); }, 8000);
});

document.addEventListener("DOMContentLoaded", () => {
  for (const source of document.querySelectorAll("[data-quote-source]")) linkQuotePicking(source);
});
