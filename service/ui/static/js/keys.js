/* Keyboard shortcuts, listed on the worklist page ("Phím tắt"): "/" finds a dossier (the page's
   search box, else the dossier list's), j / k move through a list's rows, n opens the first task.
   Never while typing in a field; Ctrl+Enter on a task's page is task.js's. */
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function start() {
    var search = document.querySelector("[data-search]");
    if (search && window.location.hash === "#q") search.focus();
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (event.key === "/") {
        event.preventDefault();
        if (search) search.focus();
        else if (document.body.dataset.searchUrl) window.location.assign(document.body.dataset.searchUrl + "#q");
        return;
      }
      var links = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
      if (!links.length) return;
      var at = links.indexOf(document.activeElement);
      if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        var next = event.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
        links[at < 0 ? 0 : next].focus();
      } else if (event.key === "n") {
        event.preventDefault();
        links[0].click();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
