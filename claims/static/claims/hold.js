// Renews the agent's hold of the claim while its page is open and in view; a page left in a
// background tab lets the hold run out, and the claim goes back to the queue.
(function () {
  "use strict";
  var form = document.getElementById("hold-form");
  var every = form ? Number(form.getAttribute("data-renew-seconds")) * 1000 : 0;
  if (!every) {
    return;
  }
  window.setInterval(function () {
    if (document.visibilityState === "visible") {
      window.fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    }
  }, every);
})();
