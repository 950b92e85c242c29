// 联查通 — small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Forms that ask first ("确定要……吗？").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // Long work (imports, draws): show progress and stop a second click from submitting twice.
    var busy = form.getAttribute("data-busy");
    if (busy) {
      var overlay = document.getElementById("busy-overlay");
      if (overlay) { overlay.querySelector(".busy-text").textContent = busy; overlay.classList.add("show"); }
    }
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  });
  // Behaviour named by data- attributes rather than inline handlers: the Content-Security-Policy runs no inline script.
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], [data-back]") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-print")) { event.preventDefault(); window.print(); }
    // Without history (a page opened directly) the link's own target, the workbench, is where to go.
    else if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.form && field.hasAttribute && field.hasAttribute("data-autosubmit")) { field.form.submit(); }
    // "全选": ticks every check box of the form named by data-check-all.
    var name = field.getAttribute && field.getAttribute("data-check-all");
    if (name && field.form) {
      Array.prototype.forEach.call(field.form.querySelectorAll("input[type=checkbox][name='" + name + "']"),
        function (box) { box.checked = field.checked; });
    }
  });
})();
