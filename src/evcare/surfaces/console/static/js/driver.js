// The driver portal's small behaviours: "Use my location" fills the station search.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-locate-me]");
    if (!button || !navigator.geolocation) return;
    const form = button.closest("form");
    button.textContent = "Locating…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.querySelector('[name="lat"]').value = position.coords.latitude.toFixed(5);
        form.querySelector('[name="lng"]').value = position.coords.longitude.toFixed(5);
        form.submit();
      },
      () => { button.textContent = "Location unavailable"; }
    );
  });
})();
