(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  var url = bar && bar.dataset.statusUrl;
  if (!url) { return; }
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var delay = 1000;
  function show(id, value) { document.getElementById(id).textContent = number.format(value); }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        delay = 1000;
        bar.setAttribute("aria-valuenow", data.percent);
        bar.firstElementChild.style.width = data.percent + "%";
        document.getElementById("import-status-label").textContent = data.status_label;
        show("import-processed", data.processed);
        show("import-total", data.total);
        show("import-total-big", data.total);
        show("import-saved", data.saved);
        show("import-unchanged", data.unchanged);
        show("import-errors", data.errors);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);  // the server is busy or the network is down: back off
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
