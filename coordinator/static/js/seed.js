// 联查通 — a contributor's secret value for a draw's seed: made on this screen, kept here until it is revealed.
// Only its SHA-256 (the commitment) is sent when committing; the value field has no name, so no form sends it.
(function () {
  "use strict";
  var HEX64 = /^[0-9a-f]{64}$/;

  function randomValue() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);  // available on plain HTTP too, unlike crypto.subtle
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function keep(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: the saved file remains */ }
  }

  function kept(key) {
    try { return window.localStorage.getItem(key) || ""; } catch (e) { return ""; }
  }

  function offerDownload(form, value) {
    var link = form.querySelector("[data-seed-download]");
    if (!link) { return; }
    link.href = "data:text/plain;charset=utf-8," + encodeURIComponent(value + "\n");
    link.download = form.getAttribute("data-name") || "seed-value.txt";
    link.hidden = !HEX64.test(value);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-seed-commit]"), function (form) {
    var key = form.getAttribute("data-key");
    var valueField = form.querySelector("[data-seed-value]");
    var commitmentField = form.querySelector("[data-seed-commitment]");
    var generate = form.querySelector("[data-seed-generate]");
    function update() {
      var value = valueField.value.trim().toLowerCase();
      commitmentField.value = HEX64.test(value) ? window.sha256(value) : "";
      offerDownload(form, value);
    }
    generate.hidden = false;
    commitmentField.readOnly = true;
    generate.addEventListener("click", function () {
      if (valueField.value && !window.confirm("重新生成会替换上面的随机值。确定吗？")) { return; }
      valueField.value = randomValue();
      update();
    });
    valueField.addEventListener("input", update);
    form.addEventListener("submit", function (event) {
      var value = valueField.value.trim().toLowerCase();
      if (!HEX64.test(value)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        window.alert("请先生成随机值（或填入64位十六进制的随机值）");
        return;
      }
      keep(key, value);
    }, true);  // before app.js asks its confirming question
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-seed-reveal]"), function (form) {
    var promised = form.getAttribute("data-commitment");
    var valueField = form.querySelector("[data-seed-value]");
    var match = form.querySelector("[data-seed-match]");
    var file = form.querySelector("[data-seed-file]");
    function check() {
      var value = valueField.value.trim().toLowerCase();
      if (!value) { return; }
      var ok = HEX64.test(value) && window.sha256(value) === promised;
      match.textContent = ok ? "✓ 与承诺值一致，可以揭示" : "✗ 与承诺值不符：请使用承诺时保存的随机值";
      match.className = ok ? "hint" : "error";
    }
    if (!valueField.value) { valueField.value = kept(form.getAttribute("data-key")); }
    valueField.addEventListener("input", check);
    if (file) {
      file.closest("[data-seed-file-label]").hidden = false;
      file.addEventListener("change", function () {
        if (!file.files.length) { return; }
        var reader = new FileReader();
        reader.onload = function () { valueField.value = String(reader.result).trim(); check(); };
        reader.readAsText(file.files[0]);
      });
    }
    check();
  });
})();
