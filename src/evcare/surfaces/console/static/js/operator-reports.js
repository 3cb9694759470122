// /console/reports: the revenue per day chart (uPlot bars).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("revenue-data").textContent);
  const box = document.getElementById("revenue-chart");
  const days = data.labels.map((label) => Date.parse(label + "T00:00:00Z") / 1000);
  new uPlot(
    {
      width: Math.max(320, box.clientWidth || 800),
      height: 260,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        { label: "Revenue (₹)", stroke: "#0b5d3b", fill: "rgba(11,93,59,0.35)", paths: uPlot.paths.bars({ size: [0.7, 40] }) },
        { label: "Sessions", stroke: "#0a4f9e", scale: "n" },
      ],
      axes: [{}, { label: "₹" }, { side: 1, scale: "n", label: "sessions", grid: { show: false } }],
    },
    [days, data.revenue, data.sessions],
    box
  );
})();
