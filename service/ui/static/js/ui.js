/* Motcua pages: calls to the REST API with the session cookie and the CSRF header, messages,
   and the claim / unclaim buttons. No framework; the server renders the pages. */
(function () {
  "use strict";

  var strings = JSON.parse(document.getElementById("ui-strings").textContent);
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var STORED = "motcua.message";

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  /* POST to the API; resolves to {ok, status, data} (data: the JSON answer or null). */
  function post(url, body) {
    var headers = { Accept: "application/json", "X-CSRFToken": csrfToken };
    var options = { method: "POST", credentials: "same-origin", headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function errorMessage(result) {
    if (result.status === 401) return strings.session_expired;
    var error = result.data && result.data.error;
    return format(strings.failed, { message: (error && error.message) || result.status });
  }

  /* The messages above the page (a flash, "Đã nhận việc"...) say what just happened: a newer
     message, or an error shown elsewhere on the page, takes their place. */
  function clearMessages() {
    var box = document.getElementById("messages");
    if (box) box.textContent = "";
  }

  function announce(text, kind) {
    var box = document.getElementById("messages");
    clearMessages();
    var line = document.createElement("p");
    line.className = "message message-" + (kind || "info");
    line.textContent = text;
    box.appendChild(line);
  }

  /* A message for the next page (after a reload or a navigation). */
  function remember(text, kind) {
    try {
      window.sessionStorage.setItem(STORED, JSON.stringify({ text: text, kind: kind }));
    } catch (e) { /* storage refused: the message is lost, nothing else */ }
  }

  function toLogin() {
    var here = window.location.pathname + window.location.search;
    window.location.assign(document.body.dataset.loginUrl + "?next=" + encodeURIComponent(here));
  }

  function showRemembered() {
    var stored = null;
    try {
      stored = JSON.parse(window.sessionStorage.getItem(STORED) || "null");
      window.sessionStorage.removeItem(STORED);
    } catch (e) { stored = null; }
    if (stored && stored.text) announce(stored.text, stored.kind);
  }

  function onAction(event) {
    var button = event.target.closest("button[data-action]");
    if (!button || (button.dataset.action !== "claim" && button.dataset.action !== "unclaim")) return;
    button.disabled = true;
    post(button.dataset.url).then(function (result) {
      if (result.status === 401) return toLogin();
      if (result.ok) {
        remember(button.dataset.action === "claim" ? strings.claimed : strings.unclaimed, "success");
        window.location.reload();
        return;
      }
      button.disabled = false;
      announce(errorMessage(result), "error");
    }, function () {
      button.disabled = false;
      announce(strings.network, "error");
    });
  }

  document.addEventListener("click", onAction);
  /* The buttons that need this script come disabled, so nothing is clicked before it runs. */
  document.querySelectorAll("button[data-action]").forEach(function (button) { button.disabled = false; });
  document.addEventListener("DOMContentLoaded", showRemembered);

  window.Motcua = {
    strings: strings,
    format: format,
    post: post,
    errorMessage: errorMessage,
    announce: announce,
    clearMessages: clearMessages,
    toLogin: toLogin
  };
})();
