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

// Photos picked on a phone are shown as thumbnails before they are sent.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-thumbs") || !window.URL) { return; }
    var box = document.querySelector(input.getAttribute("data-thumbs"));
    if (!box) { return; }
    Array.prototype.forEach.call(box.querySelectorAll("[data-from='" + input.id + "']"), function (old) {
      URL.revokeObjectURL(old.src); old.remove();
    });
    Array.prototype.forEach.call(input.files || [], function (file) {
      var img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = file.name;
      img.setAttribute("data-from", input.id);
      box.appendChild(img);
    });
  });
})();

// A form marked data-draft keeps what was typed on this device (localStorage), so that a dropped connection
// mid-visit loses nothing: restored on the next visit to the form, forgotten once the server has saved it.
(function () {
  "use strict";
  var PREFIX = "联查通草稿:";
  var PENDING = "联查通待确认草稿";
  var store;
  try { store = window.localStorage; store.getItem(PREFIX); } catch (e) { return; }
  var form = document.querySelector("form[data-draft]");
  var key = form ? PREFIX + form.getAttribute("data-draft") : null;
  // The form was sent last time: the server saved it only if it answered with the page the form names in
  // data-draft-saved (a log-in page after an expired session, an error or the form again keep the draft).
  try {
    var pending = JSON.parse(window.sessionStorage.getItem(PENDING) || "null");
    if (pending && pending.saved === window.location.pathname && !document.querySelector(".error-page")) {
      store.removeItem(pending.key);
    }
    window.sessionStorage.removeItem(PENDING);
  } catch (e) { /* no session storage: the draft stays until the form is sent again */ }
  if (!form) { return; }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "file" && el.type !== "submit" && el.type !== "button";
    });
  }
  function id(el) { return el.type === "checkbox" || el.type === "radio" ? el.name + "=" + el.value : el.name; }
  function values() {
    var out = {};
    fields().forEach(function (el) {
      out[id(el)] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    });
    return out;
  }
  function apply(saved) {
    fields().forEach(function (el) {
      if (!(id(el) in saved)) { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = !!saved[id(el)]; } else { el.value = saved[id(el)]; }
    });
  }
  var base = JSON.stringify(values());  // what the server showed
  var note = document.getElementById("draft-note");
  var draft = null;
  try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
  if (draft && JSON.stringify(draft.values) !== base) {
    var when = new Date(draft.at).toLocaleString("zh-CN", { hour12: false });
    if (draft.base === base) {
      apply(draft.values);  // nothing changed on the server since: carry on where the phone left off
      showNote("已恢复本机在 " + when + " 保存的未提交内容，核对后提交或暂存。", false);
    } else {
      showNote("本机有一份 " + when + " 的未提交内容，但记录此后已在服务器上修改过。", true);
    }
  }
  function showNote(text, offerRestore) {
    if (!note) { return; }
    note.querySelector(".draft-text").textContent = text;
    note.querySelector("[data-draft-restore]").classList.toggle("d-none", !offerRestore);
    note.classList.remove("d-none");
  }
  if (note) {
    note.addEventListener("click", function (event) {
      if (event.target.hasAttribute("data-draft-restore")) { apply(draft.values); save(); }
      else if (event.target.hasAttribute("data-draft-discard")) { store.removeItem(key); form.reset(); }
      else { return; }
      note.classList.add("d-none");
    });
  }
  var timer = null;
  function save() {
    var now = values();
    try {
      if (JSON.stringify(now) === base) { store.removeItem(key); }
      else { store.setItem(key, JSON.stringify({ at: Date.now(), base: base, values: now })); }
    } catch (e) { /* storage full: nothing more can be kept */ }
  }
  function later() { window.clearTimeout(timer); timer = window.setTimeout(save, 300); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  window.addEventListener("pagehide", save);
  var offline = document.getElementById("offline-note");
  function connection() { if (offline) { offline.classList.toggle("d-none", navigator.onLine !== false); } }
  window.addEventListener("online", connection);
  window.addEventListener("offline", connection);
  connection();
  form.addEventListener("submit", function (event) {
    save();
    if (navigator.onLine === false) {  // sending would only show the browser's error page
      event.preventDefault();
      event.stopImmediatePropagation();
      connection();
      return;
    }
    try {
      window.sessionStorage.setItem(PENDING, JSON.stringify({ key: key, saved: form.getAttribute("data-draft-saved") }));
    } catch (e) { /* see above */ }
  }, true);
})();

// On a phone a list's search form shows its first field; the other conditions fold behind one button (open when
// one of them is in use), so the list starts on the first screen.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 767.98px)").matches) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("form.filters"), function (form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") { return; }
    var fields = Array.prototype.filter.call(form.children, function (el) { return el.tagName === "LABEL"; });
    if (fields.length < 3) { return; }
    var more = fields.slice(1);
    var inUse = more.some(function (label) {
      var control = label.querySelector("input, select");
      return control && (control.type === "checkbox" ? control.checked : control.value !== "");
    });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary filters-toggle";
    button.setAttribute("aria-expanded", String(inUse));
    button.textContent = "更多查询条件（" + more.length + "）";
    fields[0].after(button);
    form.classList.add("filters-folded");
    form.classList.toggle("filters-open", inUse);
    button.addEventListener("click", function () {
      var open = form.classList.toggle("filters-open");
      button.setAttribute("aria-expanded", String(open));
    });
  });
})();

// File fields read the same in every browser: a button "选择文件" and the chosen names in Chinese, whatever the
// browser's own language (the native field stays underneath, for the keyboard and when scripts do not run).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file].form-control"), function (input, n) {
    if (!input.id) { input.id = "file-field-" + n; }
    var pick = document.createElement("div");
    pick.className = "file-pick";
    var button = document.createElement("label");
    button.className = "btn btn-outline-primary";
    button.htmlFor = input.id;
    button.textContent = input.multiple ? "选择文件（可多个）" : "选择文件";
    var chosen = document.createElement("span");
    chosen.className = "file-chosen";
    chosen.textContent = "未选择文件";
    pick.appendChild(button);
    pick.appendChild(chosen);
    input.classList.remove("form-control");
    input.classList.add("visually-hidden");
    input.after(pick);
    input.addEventListener("change", function () {
      var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
      chosen.textContent = names.length ? names.join("、") : "未选择文件";
    });
  });
})();
