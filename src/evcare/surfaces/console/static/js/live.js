// The page's live connection (socket.io on this server), signed in by the page's own
// HttpOnly cookie in the handshake. evcareLive.connect(onReady) -> socket; onReady runs
// after "authenticated" (and again after a reconnect). An element [data-live-state]
// says whether updates are flowing.
(function () {
  "use strict";
  function say(text) {
    document.querySelectorAll("[data-live-state]").forEach((el) => { el.textContent = text; });
  }
  function connect(onReady) {
    const socket = io({ transports: ["websocket"] });
    socket.on("authenticated", () => {
      say("Live updates on.");
      document.documentElement.dataset.live = "on";
      if (onReady) onReady(socket);
    });
    socket.on("unauthorized", (data) => say("Live updates refused: " + (data && data.message)));
    socket.on("disconnect", () => {
      say("Live updates paused (reconnecting)…");
      document.documentElement.dataset.live = "off";
    });
    return socket;
  }
  window.evcareLive = { connect };
})();
