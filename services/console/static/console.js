/* The console's own script: the damage diagram of the check-in sheet and the live order
 * timeline (server-sent events). Loaded from /static (the CSP allows no inline script).
 * Every page works without it: the diagram has a keyboard/no-script "add mark" button, the
 * timeline page shows what was known when it was loaded. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";

  /* --- check-in: click (or Enter on) a panel of the car to place a damage mark ---------- */
  function damageDiagram(root) {
    var svg = root.querySelector("svg.vehicle");
    var rows = root.querySelector("[data-marks]");
    var template = root.querySelector("template.mark-row");
    var dots = svg.querySelector("g.marks");
    if (!svg || !rows || !template || !dots) { return; }

    function nextIndex() {
      var highest = -1;
      rows.querySelectorAll("[data-mark]").forEach(function (row) {
        highest = Math.max(highest, parseInt(row.getAttribute("data-mark"), 10));
      });
      return highest + 1;
    }

    function dot(index, x, y) {
      var circle = document.createElementNS(SVG_NS, "circle");
      circle.setAttribute("cx", String(x));
      circle.setAttribute("cy", String(y));
      circle.setAttribute("r", "6");
      circle.setAttribute("class", "mark");
      circle.setAttribute("data-mark", String(index));
      var text = document.createElementNS(SVG_NS, "text");
      text.setAttribute("x", String(x + 8));
      text.setAttribute("y", String(y - 6));
      text.setAttribute("class", "mark-no");
      text.setAttribute("data-mark", String(index));
      text.textContent = String(index + 1);
      dots.appendChild(circle);
      dots.appendChild(text);
    }

    function add(region, regionLabel, x, y) {
      var index = nextIndex();
      var html = template.innerHTML.split("__i__").join(String(index))
        .split("__n__").join(String(index + 1));
      var holder = document.createElement("tbody");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      row.querySelector("[data-role=region]").value = region;
      row.querySelector("[data-role=x]").value = String(Math.round(x));
      row.querySelector("[data-role=y]").value = String(Math.round(y));
      row.querySelector("[data-role=where]").textContent = regionLabel;
      rows.appendChild(row);
      dot(index, Math.round(x), Math.round(y));
      root.setAttribute("data-mark-count", String(rows.querySelectorAll("[data-mark]").length));
      var kind = row.querySelector("select");
      if (kind) { kind.focus(); }
    }

    function svgPoint(event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      return point.matrixTransform(svg.getScreenCTM().inverse());
    }

    svg.querySelectorAll("[data-region]").forEach(function (panel) {
      panel.addEventListener("click", function (event) {
        var p = svgPoint(event);
        add(panel.getAttribute("data-region"), panel.getAttribute("aria-label"), p.x, p.y);
      });
      panel.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" && event.key !== " ") { return; }
        event.preventDefault();
        var box = panel.getBBox();
        add(panel.getAttribute("data-region"), panel.getAttribute("aria-label"),
          box.x + box.width / 2, box.y + box.height / 2);
      });
    });

    rows.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-remove]");
      if (!button) { return; }
      event.preventDefault();
      var row = button.closest("[data-mark]");
      var index = row.getAttribute("data-mark");
      dots.querySelectorAll('[data-mark="' + index + '"]').forEach(function (el) { el.remove(); });
      row.remove();
      root.setAttribute("data-mark-count", String(rows.querySelectorAll("[data-mark]").length));
    });
    root.setAttribute("data-ready", "true");
  }

  /* --- order timeline: new entries pushed by the console (server-sent events) ----------- */
  function liveTimeline(section) {
    if (!window.EventSource) { return; }
    var list = section.querySelector("ol.timeline");
    var source = new EventSource(section.getAttribute("data-stream"));

    function instant(li) {
      var time = li.querySelector("time");
      return time ? Date.parse(time.getAttribute("datetime")) : 0;
    }

    source.addEventListener("open", function () { section.setAttribute("data-live", "open"); });
    source.addEventListener("error", function () {
      section.setAttribute("data-live", "reconnecting");
    });
    source.addEventListener("moment", function (event) {
      var holder = document.createElement("ol");
      holder.innerHTML = event.data;
      var li = holder.firstElementChild;
      if (!li) { return; }
      var key = li.getAttribute("data-key");
      var same = list.querySelector('li[data-key="' + key + '"]');
      if (same) {
        if (same.outerHTML !== li.outerHTML) { same.replaceWith(li); }
        return;
      }
      li.classList.add("arrived");
      var at = instant(li);
      var after = null;
      list.querySelectorAll("li").forEach(function (other) {
        if (after === null && instant(other) > at) { after = other; }
      });
      list.insertBefore(li, after);
      section.setAttribute("data-received", String(
        parseInt(section.getAttribute("data-received") || "0", 10) + 1));
    });
    source.addEventListener("state", function (event) {
      var holder = document.createElement("div");
      holder.innerHTML = event.data;
      var fresh = holder.querySelector("[data-state]");
      var old = section.querySelector("[data-state]");
      if (fresh && old) { old.replaceWith(fresh); }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  function start() {
    document.querySelectorAll("[data-damage-diagram]").forEach(damageDiagram);
    document.querySelectorAll("[data-stream]").forEach(liveTimeline);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
