// 联查通 — the dashboard's charts. Data comes from the page's <script type="application/json"> block,
// so no inline script is needed (the CSP forbids it); the figures are also on the page as text.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var BLUE = "#1769aa", ORANGE = "#dd8a26", GREEN = "#1b7f3b", GREY = "#9fb3c8";

  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;  // figures, not a show: draw at once, and print what is drawn

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  function wholeNumbers() {
    return { beginAtZero: true, ticks: { precision: 0 } };
  }

  draw("chart-departments", {
    type: "bar",
    data: {
      labels: data.departments.labels,
      datasets: [
        { label: "抽查企业（户）", data: data.departments.enterprises, backgroundColor: BLUE },
        { label: "发现问题企业（户）", data: data.departments.problem_enterprises, backgroundColor: ORANGE }
      ]
    },
    options: { scales: { y: wholeNumbers() } }
  });

  // A rate with no denominator yet (null) is left out rather than drawn as 0 %.
  draw("chart-rates", {
    type: "bar",
    data: {
      labels: data.rates.labels,
      datasets: [
        { label: "实际（%）", data: data.rates.values, backgroundColor: data.rates.values.map(function (v, i) {
            return v !== null && v >= data.rates.goals[i] ? GREEN : ORANGE; }) },
        { label: "目标（%）", data: data.rates.goals, backgroundColor: GREY }
      ]
    },
    options: {
      indexAxis: "y",
      scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
      plugins: { tooltip: { callbacks: { label: function (c) {
        return c.dataset.label + "：" + (c.raw === null ? "暂无" : c.raw + "%"); } } } }
    }
  });

  draw("chart-follow-ups", {
    type: "bar",
    data: { labels: data.follow_ups.labels,
            datasets: [{ label: "部门份数", data: data.follow_ups.values, backgroundColor: BLUE }] },
    options: { scales: { y: wholeNumbers() }, plugins: { legend: { display: false } } }
  });

  draw("chart-months", {
    type: "bar",
    data: { labels: data.months.labels,
            datasets: [{ label: "入企检查（户次）", data: data.months.values, backgroundColor: BLUE }] },
    options: { scales: { y: wholeNumbers() }, plugins: { legend: { display: false } } }
  });
})();
