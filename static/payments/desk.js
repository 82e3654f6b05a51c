(function () {
  // Oldest first, change shown live. The server checks both again (and computes the change).
  const form = document.getElementById("desk-pay");
  if (!form) return;
  const boxes = Array.from(form.querySelectorAll("input.desk-invoice"));
  const tendered = document.getElementById("id_tendered");
  const useCredit = document.getElementById("id_use_credit");
  const credit = parseInt(document.getElementById("desk-selected").dataset.credit, 10) || 0;
  const rupiah = (n) => (n < 0 ? "-" : "") + "Rp " + Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const parse = (text) => {
    const digits = (text || "").replace(/^\s*rp\.?\s*/i, "").replace(/,0+$/, "").replace(/[.\s]/g, "");
    return /^\d+$/.test(digits) ? parseInt(digits, 10) : null;
  };
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  function update() {
    const selected = boxes.filter((b) => b.checked).reduce((sum, b) => sum + parseInt(b.dataset.amount, 10), 0);
    const used = useCredit && useCredit.checked ? Math.max(0, Math.min(credit, selected)) : 0;
    const due = selected - used;
    set("desk-selected", rupiah(selected));
    set("desk-credit-used", rupiah(used));
    set("desk-due", rupiah(due));
    const cash = parse(tendered.value);
    const change = document.getElementById("desk-change");
    change.classList.remove("text-danger");
    if (cash === null) { change.textContent = "—"; return; }
    change.textContent = rupiah(cash - due);
    if (cash < due) change.classList.add("text-danger");
  }
  boxes.forEach((box, index) => box.addEventListener("change", () => {
    boxes.forEach((other, j) => {
      if (box.checked && j < index) other.checked = true;
      if (!box.checked && j > index) other.checked = false;
    });
    update();
  }));
  tendered.addEventListener("input", update);
  if (useCredit) useCredit.addEventListener("change", update);
  form.addEventListener("submit", () => { document.getElementById("desk-confirm").disabled = true; });
  update();
})();
