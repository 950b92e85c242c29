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
})();
