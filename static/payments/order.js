// The finish page asks the server for the order's true status while it is pending, and reloads
// once it changes (the server, not the redirect's query string, says whether it is paid).
(function () {
  "use strict";
  var card = document.getElementById("order-card");
  if (!card || !card.dataset.live) return;
  var url = card.dataset.statusUrl;
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && !data.live) { window.location.reload(); return; }
        if (tries < 360) window.setTimeout(poll, tries < 12 ? 5000 : 15000);
      })
      .catch(function () { if (tries < 360) window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, 3000);
})();
