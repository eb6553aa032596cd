/* The heatmap on a procedure's process diagram: bpmn-js's NavigatedViewer (served from npm), each
   element that dossiers passed in the period coloured by its share late, with a badge counting
   them whose title (on hover) gives the median and 90th-percentile days. The data comes from the
   container's data-heatmap-url: {"xml", "elements": [{element_id, name, dossiers, median_days,
   p90_days, late_share}]}. */
(function () {
  "use strict";

  var stringsNode = document.getElementById("heatmap-strings");
  var strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};

  function format(text, values) {
    return window.Motcua ? window.Motcua.format(text, values) : text;
  }

  /* 0: none late, 1: under 20 %, 2: under 50 %, 3: half or more; "none": no step was judged. */
  function level(share) {
    if (share === null || share === undefined) return "none";
    if (share === 0) return "0";
    if (share < 0.2) return "1";
    if (share < 0.5) return "2";
    return "3";
  }

  function days(value) {
    return value === null || value === undefined ? "—" : (Math.round(value * 100) / 100).toString();
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

  function paint(viewer, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var painted = 0;
    (data.elements || []).forEach(function (item) {
      var element = registry.get(item.element_id);
      if (!element) return;
      var heat = level(item.late_share);
      canvas.addMarker(element, "heat-" + heat);
      var badge = document.createElement("div");
      badge.className = "heat-badge heat-" + heat;
      badge.textContent = String(item.dossiers);
      badge.dataset.element = item.element_id;
      badge.title = format(strings.hover, {
        name: item.name || item.element_id,
        dossiers: item.dossiers,
        median: days(item.median_days),
        p90: days(item.p90_days),
        late: item.late_share === null ? "—" : Math.round(item.late_share * 100) + "%"
      });
      overlays.add(element, { position: { top: -14, right: 14 }, html: badge });
      painted += 1;
    });
    return painted;
  }

  function show(container) {
    if (typeof window.BpmnJS !== "function") {
      setStatus(container, strings.missing, "error");
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    load(container.dataset.heatmapUrl)
      .then(function (data) {
        return viewer.importXML(data.xml).then(function () { return data; });
      })
      .then(function (data) {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        var count = paint(viewer, data);
        container.dataset.state = "ready";
        setStatus(container, format(strings.summary, { count: count }));
      })
      .catch(function (error) {
        container.dataset.state = "failed";
        setStatus(container, format(strings.failed, { message: error.message || error }), "error");
      });
  }

  document.querySelectorAll("[data-heatmap-url]").forEach(show);
})();
