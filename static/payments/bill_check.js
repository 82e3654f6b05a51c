/* Pay forms: the chosen invoices stay a prefix, oldest first. Ticking one ticks every older
   one; unticking one unticks every newer one. The total on the button follows. */
(function () {
  function rupiah(n) { return "Rp " + n.toLocaleString("id-ID"); }
  document.querySelectorAll("form.js-pay-prefix").forEach(function (form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=invoice]"));
    var button = form.querySelector(".js-pay-button");
    var total = form.querySelector(".js-pay-total");
    function update() {
      var sum = 0, any = false;
      boxes.forEach(function (b) { if (b.checked) { sum += parseInt(b.dataset.amount, 10); any = true; } });
      total.textContent = rupiah(sum);
      button.disabled = !any;
    }
    boxes.forEach(function (box, i) {
      box.addEventListener("change", function () {
        boxes.forEach(function (other, j) {
          if (box.checked && j < i) { other.checked = true; }
          if (!box.checked && j > i) { other.checked = false; }
        });
        update();
      });
    });
    form.addEventListener("submit", function () { button.disabled = true; });
    update();
  });
})();
