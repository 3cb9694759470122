// Behaviour shared by every console page (no inline scripts: the CSP allows only files
// served from this origin).
//   <button data-copy="#element-id">Copy</button>: copies the element's text.
//   <form data-confirm="Revoke this key?">: asks before submitting.
//   evcare.post(url, body): a same-origin JSON POST carrying the CSRF token.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const text = (source.value !== undefined ? source.value : source.textContent).trim();
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    const status = document.getElementById(button.getAttribute("aria-controls") || "");
    if (status) status.textContent = "Copied";
    button.textContent = "Copied";
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrf(),
      },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { status: response.status, data });
    return data;
  }

  window.evcare = { post, csrf };
})();
