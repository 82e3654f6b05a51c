(function () {
  const box = document.getElementById("run-progress");
  if (!box || box.dataset.running !== "1") return;
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" } });
      const data = await response.json();
      const bar = box.querySelector(".progress-bar");
      bar.style.width = data.percent + "%";
      bar.textContent = data.percent + "%";
      box.querySelector(".progress").setAttribute("aria-valuenow", data.percent);
      for (const key of ["issued", "estimated", "held", "skipped", "chunks_done"]) {
        const el = box.querySelector('[data-field="' + key + '"]');
        if (el) el.textContent = data[key].toLocaleString("id-ID");
      }
      if (data.state !== "running") { window.location.reload(); return; }
    } catch (err) { /* try again */ }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1500);
})();
