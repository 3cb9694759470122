// /console/: live charger status (socket.io "charger-status") and commands to chargers.
(function () {
  "use strict";
  const statusClass = (status) => "status status-" + String(status).toLowerCase();

  function show(row, data) {
    const status = row.querySelector("[data-charger-status]");
    status.textContent = data.status;
    status.className = statusClass(data.status);
    (data.connectors || []).forEach((connector) => {
      const item = row.querySelector('[data-connector="' + connector.connectorId + '"] [data-connector-status]');
      if (!item) return;
      item.textContent = connector.status;
      item.className = statusClass(connector.status);
    });
  }

  evcareLive.connect((socket) => {
    socket.off("charger-status");
    socket.on("charger-status", (data) => {
      const row = document.querySelector('tr[data-charger="' + CSS.escape(data.chargerId) + '"]');
      if (row) show(row, data);
    });
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-command]");
    if (!button) return;
    const row = button.closest("tr[data-charger-key]");
    const answer = row.querySelector("[data-command-answer]");
    const command = button.dataset.command;
    const body = { command };
    const connector = row.querySelector("[data-command-connector]");
    if (command !== "Reset" && connector && connector.value) body.connectorId = Number(connector.value);
    button.disabled = true;
    answer.textContent = command + ": waiting for the charger…";
    try {
      const data = await evcare.post("/console/chargers/" + row.dataset.chargerKey + "/commands", body);
      const status = data.result && data.result.status;
      answer.textContent = command + ": the charger answered " + (status || JSON.stringify(data.result));
    } catch (error) {
      answer.textContent = command + " failed: " + error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
