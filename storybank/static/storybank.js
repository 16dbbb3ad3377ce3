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
    name.textContent = job.stage.charAt(0).toUpperCase() + job.stage.slice(1);
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = job.progress;
    bar.textContent = `${Math.round(job.progress * 100)}%`;
    const status = document.createElement("span");
    status.className = "stage-status";
    status.textContent = job.status;
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
