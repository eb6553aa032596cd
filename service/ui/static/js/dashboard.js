// The dashboard's trend charts (chart.js, served from service/assets by vendor.py); the data is
// the page's <script type="application/json" id="dashboard-data">. Without chart.js the table
// below the charts shows the same numbers.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = ["#1b6e3a", "#1f4e8c", "#7a4a00", "#6b2d8c"];
    var percent = function (value) { return value === null ? null : Math.round(value * 1000) / 10; };
    new window.Chart(document.getElementById("chart-rates"), {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return { label: series.label, data: series.values.map(percent), borderColor: colours[index % colours.length], spanGaps: true };
        })
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
    new window.Chart(document.getElementById("chart-points"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.points_label, data: data.points, backgroundColor: "#1f4e8c" },
          { type: "line", label: "80", data: data.labels.map(function () { return data.good; }), borderColor: "#a4161a", pointRadius: 0, borderDash: [6, 4] }
        ]
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { min: 0, max: 100 } } }
    });
    document.body.setAttribute("data-charts", "drawn");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
