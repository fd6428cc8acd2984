/*
 * A job's page while the job runs: polls its status URL (data-status-url) and moves the
 * progress bar and its text; once the job has finished, reloads the page for its report.
 * Plain JavaScript, no build step; the texts come from the server (translated there) and go in
 * as text, never as HTML. Without JavaScript the page refreshes itself instead.
 */
(function () {
  "use strict";
  var POLL_EVERY = 1000;

  function poll(page, url) {
    var bar = page.querySelector(".otrs-job-bar");
    var meter = page.querySelector("[role=progressbar]");
    var text = page.querySelector(".otrs-job-progress-text");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished || status.state !== page.dataset.jobState) {
          window.location.reload();
          return;
        }
        bar.style.width = status.percent + "%";
        meter.setAttribute("aria-valuenow", String(status.percent));
        text.textContent = status.text;
        window.setTimeout(function () { poll(page, url); }, POLL_EVERY);
      })
      .catch(function () {
        // A moment without the server (a restart): try again a little later.
        window.setTimeout(function () { poll(page, url); }, POLL_EVERY * 5);
      });
  }

  function start() {
    var page = document.querySelector(".otrs-job[data-status-url]");
    if (page) {
      window.setTimeout(function () { poll(page, page.dataset.statusUrl); }, POLL_EVERY);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
