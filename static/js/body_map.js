/* The body map in input mode (templates/includes/body_map.html).
 *
 * The checkboxes under the drawing are the form field and work without this script. Here the
 * drawing's shapes become toggles for them: a click, a tap, Enter or Space on a shape ticks its
 * checkbox, and ticking a checkbox highlights its shape. Each change dispatches
 * `bodymap:change` ({zone, side, checked}) on the map's root element.
 *
 * No inline handlers and no style attributes, so it runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  // The component template may be rendered more than once per page (and htmx re-runs scripts it
  // swaps in): set up the listeners once.
  if (window.knotworkBodyMap) {
    window.knotworkBodyMap.scan(document);
    return;
  }

  function keyOf(zone, side) {
    return zone + ":" + side;
  }

  function shapesFor(root, value) {
    var parts = value.split(":");
    return root.querySelectorAll(
      '.bm-zones [data-zone="' + parts[0] + '"][data-side="' + parts[1] + '"]'
    );
  }

  function checkboxFor(root, zone, side) {
    var boxes = root.querySelectorAll('.bm-choices input[type="checkbox"]');
    var wanted = keyOf(zone, side);
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === wanted) return boxes[i];
    }
    return null;
  }

  function paint(root, checkbox) {
    var shapes = shapesFor(root, checkbox.value);
    for (var i = 0; i < shapes.length; i++) {
      shapes[i].classList.toggle("is-selected", checkbox.checked);
      shapes[i].setAttribute("aria-checked", checkbox.checked ? "true" : "false");
    }
    var label = root.querySelectorAll('.bm-labels [data-zone="' + checkbox.value.split(":")[0] + '"]');
    var anySelected = root.querySelector(
      '.bm-zones [data-zone="' + checkbox.value.split(":")[0] + '"].is-selected'
    );
    for (var j = 0; j < label.length; j++) {
      label[j].classList.toggle("bm-label--marked", Boolean(anySelected));
    }
  }

  function toggleShape(root, shape) {
    var checkbox = checkboxFor(root, shape.getAttribute("data-zone"), shape.getAttribute("data-side"));
    if (!checkbox || checkbox.disabled) return;
    checkbox.checked = !checkbox.checked;
    // A real change event, so forms listening for it (htmx triggers, validation) hear about it.
    checkbox.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function init(root) {
    if (root.hasAttribute("data-body-map-ready")) return;
    root.setAttribute("data-body-map-ready", "");
    if (!root.classList.contains("bm--input")) return;
    root.classList.add("bm--js");

    root.addEventListener("click", function (event) {
      var shape = event.target.closest(".bm-zones [data-zone]");
      if (shape && root.contains(shape)) toggleShape(root, shape);
    });
    root.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " " && event.key !== "Spacebar") return;
      var shape = event.target.closest(".bm-zones [data-zone]");
      if (!shape || !root.contains(shape)) return;
      event.preventDefault(); // Space would scroll the page
      toggleShape(root, shape);
    });
    root.addEventListener("change", function (event) {
      var checkbox = event.target;
      if (!checkbox.matches || !checkbox.matches('.bm-choices input[type="checkbox"]')) return;
      paint(root, checkbox);
      var parts = checkbox.value.split(":");
      root.dispatchEvent(
        new CustomEvent("bodymap:change", {
          bubbles: true,
          detail: { zone: parts[0], side: parts[1], checked: checkbox.checked },
        })
      );
    });

    // The browser may restore ticked boxes on back/forward navigation: match the drawing to them.
    var boxes = root.querySelectorAll('.bm-choices input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i++) paint(root, boxes[i]);
  }

  function scan(container) {
    if (!container || !container.querySelectorAll) return;
    if (container.matches && container.matches("[data-body-map]")) init(container);
    var roots = container.querySelectorAll("[data-body-map]");
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }

  window.knotworkBodyMap = { scan: scan, init: init };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      scan(document);
    });
  } else {
    scan(document);
  }
  // htmx fires htmx:load on each element it swaps in; it bubbles from there through
  // document.body. Listening on the document also works when this script runs before <body>.
  document.addEventListener("htmx:load", function (event) {
    scan(event.target);
  });
})();
