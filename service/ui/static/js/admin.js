/* Administration pages: the instance buttons (suspend, resume, retry, terminate) and the incident
   retry call the REST API with the session's CSRF header; instance actions send If-Match with the
   version the page showed, so an instance that moved on is not changed blindly (412). Also the
   copy button of a newly issued token or webhook secret, and the confirmation of forms marked
   data-confirm. */
(function () {
  "use strict";

  var M = window.Motcua;
  var node = document.getElementById("admin-strings");
  var S = node ? JSON.parse(node.textContent) : {};
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var STORED = "motcua.message";  // shown by ui.js on the next page

  function remember(text, kind) {
    try {
      window.sessionStorage.setItem(STORED, JSON.stringify({ text: text, kind: kind }));
    } catch (e) { /* storage refused: the page still reloads */ }
  }

  function send(url, version) {
    var headers = { Accept: "application/json", "X-CSRFToken": csrfToken };
    if (version) headers["If-Match"] = '"' + version + '"';
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function onClick(event) {
    var button = event.target.closest("button[data-admin-action]");
    if (!button) return;
    var action = button.dataset.adminAction;
    var row = button.closest("tr");
    var version = action === "incident" ? null : row && row.dataset.version;
    if (action === "terminate" && !window.confirm(M.format(S.confirm_terminate, { key: row.dataset.key }))) return;
    var buttons = row ? row.querySelectorAll("button[data-admin-action]") : [button];
    buttons.forEach(function (b) { b.disabled = true; });
    send(button.dataset.url, version).then(function (result) {
      if (result.status === 401) return M.toLogin();
      if (result.ok) {
        remember(S["done_" + action], "success");
        window.location.reload();
        return;
      }
      buttons.forEach(function (b) { b.disabled = false; });
      M.announce(result.status === 412 ? S.stale : M.errorMessage(result), "error");
    }, function () {
      buttons.forEach(function (b) { b.disabled = false; });
      M.announce(M.strings.network, "error");
    });
  }

  function onCopy(event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    field.select();
    var done = function () { button.textContent = button.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  }

  /* A form that ends something for good (deleting a webhook, revoking a token) asks first. */
  function onSubmit(event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }

  document.addEventListener("click", onClick);
  document.addEventListener("click", onCopy);
  document.addEventListener("submit", onSubmit);
  /* The buttons come disabled, so nothing is clicked before this script runs. */
  document.querySelectorAll("button[data-admin-action], button[data-copy]").forEach(function (b) {
    b.disabled = false;
  });
})();
