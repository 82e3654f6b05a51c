// Route entry: Enter saves the row in the background and moves to the next customer.
// Each row is its own form, so without this script every row still saves by plain POST.
(function () {
  "use strict";
  const table = document.getElementById("entry-table");
  if (!table) return;
  const forms = Array.from(table.querySelectorAll("form.entry-row"));
  const counter = document.getElementById("entry-count");

  function countDone() {
    const done = table.querySelectorAll("tbody tr.table-success, tbody tr.table-warning").length;
    if (counter) counter.textContent = done + " / " + forms.length;
  }

  function focusRow(index) {
    const form = forms[index];
    if (!form) return;
    const input = form.querySelector("input[name=stand]");
    if (input && !input.disabled) { input.focus(); input.select(); }
  }

  async function save(form, index) {
    const row = form.closest("tr");
    const result = row.querySelector(".result");
    const usage = row.querySelector(".usage");
    row.classList.remove("table-danger");
    result.textContent = "…";
    let response, body;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      body = await response.json();
    } catch (err) {
      row.classList.add("table-danger");
      result.textContent = table.dataset.networkError || "Network error; not saved.";
      return false;
    }
    if (!body.ok) {
      row.classList.remove("table-success", "table-warning");
      row.classList.add("table-danger");
      usage.textContent = "";
      result.textContent = body.error;
      return false;
    }
    row.classList.remove("table-success", "table-warning");
    row.classList.add(body.status === "ok" ? "table-success" : "table-warning");
    usage.textContent = body.usage + (body.estimated ? "*" : "");
    result.textContent = body.status_label + (body.flags.length ? " · " + body.flags.join(", ") : "");
    countDone();
    return true;
  }

  forms.forEach(function (form, index) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form, index).then(function (ok) { if (ok) focusRow(index + 1); });
    });
    form.querySelector("select[name=anomaly]").addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    });
    form.querySelector("input[name=stand]").addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); focusRow(index + 1); }
      if (event.key === "ArrowUp") { event.preventDefault(); focusRow(index - 1); }
    });
  });
  countDone();
  const firstEmpty = forms.findIndex(function (f) { const i = f.querySelector("input[name=stand]"); return i && !i.disabled && !i.value; });
  focusRow(firstEmpty >= 0 ? firstEmpty : 0);
})();
