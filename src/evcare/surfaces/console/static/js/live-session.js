// A live charging session page: the power chart (uPlot) and the figures, moved by
// socket.io's "session-update" of this session (join-session), ended by "session-stopped".
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("session-data").textContent);
  const box = document.getElementById("power-chart");
  const times = data.times.slice();
  const power = data.power.slice();
  const set = (name, value) => {
    if (value === null || value === undefined) return;
    document.querySelectorAll('[data-live="' + name + '"]').forEach((el) => { el.textContent = value; });
  };
  const chart = new uPlot(
    {
      width: Math.max(320, box.clientWidth || 800),
      height: 280,
      scales: {
        // A session's first minutes: a few readings (or one) still get a readable axis.
        x: { time: true, range: (u, min, max) => (max - min < 120 ? [min - 60, Math.max(max, min) + 60] : [min, max]) },
        y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, { label: "Power (kW)", stroke: "#0b5d3b", width: 2, fill: "rgba(11,93,59,0.12)" }],
      axes: [{}, { label: "kW" }],
    },
    [times, power],
    box
  );
  window.addEventListener("resize", () => chart.setSize({ width: Math.max(320, box.clientWidth), height: 280 }));

  function redraw() {
    chart.setData([times, power]);
    box.dataset.points = String(power.length);
    set("points", power.length);
  }

  evcareLive.connect((socket) => {
    socket.emit("join-session", { sessionId: data.sessionId });
    socket.off("session-update");
    socket.off("session-stopped");
    socket.on("session-update", (update) => {
      if (update.sessionId !== data.sessionId) return;
      set("status", update.status);
      set("energyConsumed", update.energyConsumed);
      set("duration", update.duration);
      set("cost", update.estimatedCost);
      if (typeof update.power === "number") {
        times.push(Date.now() / 1000);
        power.push(update.power);
        set("power", update.power);
        redraw();
      }
    });
    socket.on("session-stopped", (stopped) => {
      const session = stopped.session || {};
      if (session.sessionId !== data.sessionId) return;
      set("status", session.status);
      set("energyConsumed", session.energyConsumed);
      set("duration", session.duration);
      set("cost", session.cost);
      set("power", 0);
    });
  });
})();
