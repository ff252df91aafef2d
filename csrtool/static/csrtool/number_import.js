/* Bulk import page: follow the background import's progress, then show the
   finished import. Without this script the page's Refresh link does the same. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) {
    return;
  }
  var bar = document.getElementById("import-progress-bar");
  var text = box.querySelector("[data-progress-text]");
  var url = box.getAttribute("data-progress-url");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        if (!data.in_progress) {
          window.location.reload();
          return;
        }
        bar.max = data.total_rows;
        bar.value = data.rows_done;
        bar.textContent = data.percent_done + "%";
        text.textContent = data.rows_done + " of " + data.total_rows + " rows done (" +
          data.percent_done + "%), " + data.added + " added.";
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 2000);
})();
