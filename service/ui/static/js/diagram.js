/* The process diagram of an instance: bpmn-js's NavigatedViewer (served from npm), with the
   elements done, waiting and failed marked. The data comes from the container's data-diagram-url:
   {"xml", "completed": [ids], "active": [ids], "failed": [ids], "lanes": {group code: words}}. bpmn-js draws the bpmn.io
   watermark its licence asks for; it stays. */
(function () {
  "use strict";

  var MARKERS = { completed: "motcua-completed", active: "motcua-active", failed: "motcua-failed" };
  var CONTAINERS = ["bpmn:SubProcess", "bpmn:Transaction", "bpmn:AdHocSubProcess"];
  var stringsNode = document.getElementById("diagram-strings");
  var strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};

  function format(text, values) {
    return window.Motcua ? window.Motcua.format(text, values) : text;
  }

  function setStatus(container, text, kind) {
    var status = container.parentNode.querySelector(".diagram-status");
    if (!status) return;
    status.textContent = text;
    status.className = "diagram-status " + (kind === "error" ? "alert alert-error" : "secondary");
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.status === 401 || (response.redirected && response.url.indexOf("/login") !== -1)) {
          if (window.Motcua) window.Motcua.toLogin();
          throw new Error(strings.loading);
        }
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok || !data) {
            var error = data && data.error;
            throw new Error((error && error.message) || String(response.status));
          }
          return data;
        });
      }
    );
  }

  /* Mark the elements that exist in the drawing; a waiting or failed element's enclosing
     sub-processes are waiting too. Returns how many of each were marked. */
  function mark(viewer, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var counts = { completed: 0, active: 0, failed: 0 };
    ["completed", "active", "failed"].forEach(function (kind) {
      (data[kind] || []).forEach(function (id) {
        var element = registry.get(id);
        if (!element) return;
        canvas.addMarker(element, MARKERS[kind]);
        counts[kind] += 1;
        if (kind === "completed") return;
        for (var parent = element.parent; parent; parent = parent.parent) {
          var type = parent.businessObject && parent.businessObject.$type;
          if (CONTAINERS.indexOf(type) === -1) continue;
          canvas.removeMarker(parent, MARKERS.completed);
          if (!canvas.hasMarker(parent, MARKERS.failed)) canvas.addMarker(parent, MARKERS.active);
        }
      });
    });
    if (data.timer_waiting) markTimers(canvas, registry, counts);
    return counts;
  }

  /* Lanes (and pools) named by a group's code show the group's words ({code: words} in data.lanes). */
  function nameLanes(viewer, names) {
    if (!names) return;
    var registry = viewer.get("elementRegistry");
    var graphics = viewer.get("graphicsFactory");
    registry.filter(function (element) {
      return element.type === "bpmn:Lane" || element.type === "bpmn:Participant";
    }).forEach(function (element) {
      var object = element.businessObject;
      var words = object && Object.prototype.hasOwnProperty.call(names, object.name) ? names[object.name] : null;
      if (!words) return;
      object.name = words;
      graphics.update("shape", element, registry.getGraphics(element));
    });
  }

  function isTimer(element) {
    var definitions = (element.businessObject && element.businessObject.eventDefinitions) || [];
    return definitions.some(function (d) { return d.$type === "bpmn:TimerEventDefinition"; });
  }

  /* The timer events attached to a waiting element wait too (the instance has a timer armed). */
  function markTimers(canvas, registry, counts) {
    registry.filter(function (element) {
      return canvas.hasMarker(element, MARKERS.active);
    }).forEach(function (element) {
      (element.attachers || []).forEach(function (attached) {
        if (!isTimer(attached) || canvas.hasMarker(attached, MARKERS.active)) return;
        if (canvas.hasMarker(attached, MARKERS.completed)) return; /* fired already */
        canvas.addMarker(attached, MARKERS.active);
        counts.active += 1;
      });
    });
  }

  /* A container as tall as the drawing needs at the page's width (within the CSS bounds), then
     the whole drawing in view. */
  function fit(viewer, container) {
    var canvas = viewer.get("canvas");
    var inner = canvas.viewbox().inner;
    if (inner.width > 0 && inner.height > 0) {
      var style = window.getComputedStyle(container);
      var low = parseFloat(style.minHeight) || 0;
      var high = parseFloat(style.maxHeight) || Infinity;
      var wanted = (container.clientWidth * inner.height) / inner.width + 40;
      container.style.height = Math.round(Math.min(Math.max(wanted, low), high)) + "px";
      canvas.resized();
    }
    canvas.zoom("fit-viewport", "auto");
  }

  /* A drawing fitted into a narrow box can be too small to read: then show the waiting step (or
     the start) at a readable scale; the buttons and the mouse wheel zoom, dragging pans. */
  var READABLE = 0.6;
  function readable(viewer) {
    var canvas = viewer.get("canvas");
    var box = canvas.viewbox();
    if (box.scale >= READABLE) return;
    var registry = viewer.get("elementRegistry");
    var focus = registry.filter(function (element) {
      return canvas.hasMarker(element, MARKERS.active) && element.width;
    })[0] || registry.filter(function (element) { return element.type === "bpmn:StartEvent"; })[0];
    canvas.zoom(READABLE, focus ? { x: focus.x + focus.width / 2, y: focus.y + focus.height / 2 } : "auto");
    if (focus) canvas.scrollToElement(focus);
  }

  /* Zoom in and out, fit, and the whole-screen view (Escape or the button again leaves it). */
  function controls(viewer, container) {
    var panel = container.closest(".diagram-panel");
    var tools = panel && panel.querySelector(".diagram-tools");
    if (!tools) return;
    var canvas = viewer.get("canvas");
    var expand = tools.querySelector('[data-diagram="expand"]');
    var labels = { open: expand.textContent, close: strings.collapse };
    function setExpanded(on) {
      panel.classList.toggle("expanded", on);
      expand.setAttribute("aria-pressed", on ? "true" : "false");
      expand.textContent = on ? labels.close : labels.open;
      canvas.resized();
      canvas.zoom("fit-viewport", "auto");
      if (!on) readable(viewer);
    }
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-diagram]");
      if (!button) return;
      var action = button.getAttribute("data-diagram");
      if (action === "in" || action === "out") canvas.zoom(canvas.zoom() * (action === "in" ? 1.25 : 0.8));
      else if (action === "fit") canvas.zoom("fit-viewport", "auto");
      else setExpanded(!panel.classList.contains("expanded"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel.classList.contains("expanded")) setExpanded(false);
    });
    tools.hidden = false;
  }

  function show(container) {
    if (typeof window.BpmnJS !== "function") {
      setStatus(container, strings.missing, "error");
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    load(container.dataset.diagramUrl)
      .then(function (data) {
        return viewer.importXML(data.xml).then(function () { return data; });
      })
      .then(function (data) {
        nameLanes(viewer, data.lanes);
        fit(viewer, container);
        var counts = mark(viewer, data);
        readable(viewer);
        controls(viewer, container);
        container.dataset.state = "ready";
        setStatus(container, format(strings.summary, counts));
      })
      .catch(function (error) {
        container.dataset.state = "failed";
        setStatus(container, format(strings.failed, { message: error.message || error }), "error");
      });
  }

  document.querySelectorAll("[data-diagram-url]").forEach(show);
})();
