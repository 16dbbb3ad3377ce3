// A file made in the background (a pack's PDF, an export): the bar follows the job's progress
// without a reload; when it is ready the download appears, and a failure reloads the page so
// that it shows the reason and the Retry button.
"use strict";

(() => {
  const WORKING = new Set(["queued", "running"]);

  function describe(section, status, progress) {
    const label = section.querySelector("[data-role=job-label]");
    const what = section.dataset.what || "the file";
    const percent = Math.round(progress * 100);
    if (status === "queued") label.textContent = `Waiting to start making ${what}…`;
    else if (status === "running") label.textContent = `Making ${what}: ${percent}%`;
    else if (status === "done") label.textContent = `Ready: ${what} is made.`;
  }

  function follow(section) {
    const bar = section.querySelector("[data-role=job-bar]");
    const tick = async () => {
      let data;
      try {
        const response = await fetch(section.dataset.jobUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) { setTimeout(tick, 5000); return; }
        data = await response.json();
      } catch (error) {
        setTimeout(tick, 5000);
        return;
      }
      bar.value = data.progress;
      bar.textContent = `${Math.round(data.progress * 100)}%`;
      describe(section, data.status, data.progress);
      section.dataset.status = data.status;
      if (WORKING.has(data.status)) {
        setTimeout(tick, 1500);
      } else if (data.status === "done") {
        section.querySelector("[data-role=job-ready]").hidden = false;
        const again = section.querySelector("[data-role=job-again]");
        if (again) again.hidden = true;
      } else {
        window.location.reload();  // the reason and the Retry button come from the server
      }
    };
    setTimeout(tick, 700);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const section of document.querySelectorAll("[data-job-url]")) {
      if (WORKING.has(section.dataset.status)) follow(section);
    }
  });
})();
