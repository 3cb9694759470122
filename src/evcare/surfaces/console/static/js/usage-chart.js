// The admin UI's usage chart: API calls per day, drawn with the vendored uPlot from the
// page's <script type="application/json" id="usage-data"> block. The table beside it
// carries the same figures for screen readers and without scripts.
(function () {
  "use strict";
  const target = document.getElementById("usage-chart");
  const source = document.getElementById("usage-data");
  if (!target || !source || typeof uPlot === "undefined") return;
  const data = JSON.parse(source.textContent);
  if (!data.days.length) return;
  const seconds = data.days.map((day) => Date.parse(day + "T00:00:00Z") / 1000);
  const chart = new uPlot(
    {
      width: Math.min(target.clientWidth || 640, 960),
      height: 240,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 1)] } },
      series: [{}, { label: "Calls", stroke: "#0b5d3b", fill: "rgba(11,93,59,0.15)", width: 2, points: { show: true } }],
      axes: [{}, { label: "Calls" }],
    },
    [seconds, data.calls],
    target
  );
  target.dataset.rendered = "true";
  window.addEventListener("resize", () => chart.setSize({ width: Math.min(target.clientWidth || 640, 960), height: 240 }));
})();
