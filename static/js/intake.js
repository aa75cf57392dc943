/* Intake form behaviour (templates/intake/_form.html). Loaded as a file: no inline script.
 *
 * - No autosave after the form is being submitted, so a late autosave cannot race the submit.
 * - The autosave status line says so when the connection drops; what is typed stays on the page
 *   and the next change tries again.
 * - "Copy" buttons (data-copy="#input") copy a link to the clipboard.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "intake-form") {
      form.setAttribute("data-submitting", "");
      if (window.htmx) window.htmx.trigger(form, "htmx:abort");
    }
  });

  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest && event.target.closest("#intake-form");
    if (form && form.hasAttribute("data-submitting")) event.preventDefault();
  });

  function status(text) {
    var line = document.getElementById("autosave-status");
    if (!line) return;
    line.textContent = "";
    var span = document.createElement("span");
    span.className = "text-danger fw-semibold";
    span.setAttribute("role", "alert");
    span.textContent = text;
    line.appendChild(span);
  }

  document.addEventListener("htmx:sendError", function () {
    status("Not saved: no connection. Keep this page open; your answers are saved at the next change.");
  });
  document.addEventListener("htmx:responseError", function () {
    status("Not saved: the server did not answer. Press “Save draft” to try again.");
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () {
      button.textContent = "Copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // With JavaScript the pain rows follow the map at once; the no-JS hint is then noise.
  document.documentElement.classList.add("js");
})();
