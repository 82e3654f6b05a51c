/* Behaviour that used to sit in inline on*= attributes, so that the Content-Security-Policy
   needs no inline script: <select data-autosubmit> submits its form when changed,
   <button data-print> prints the page, <body data-autoprint> prints it once loaded. */
(function () {
  "use strict";
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () { field.form.submit(); });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  window.addEventListener("load", function () {
    if (document.querySelector("[data-autoprint]")) { window.print(); }
  });
})();
