/* The "Thành phần hồ sơ số hóa" panel: uploads a file (multipart, with the session cookie and the
   X-CSRFToken header) to POST /api/v1/tasks/<id>/attachments, shows its progress and the server's
   refusals (size, type, component) next to the fields, then adds the new row to the list.
   XMLHttpRequest rather than fetch: only it reports upload progress. */
(function () {
  "use strict";

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function sizeLabel(size) {
    if (size < 1024) return size + " B";
    var units = [["KB", 1024], ["MB", 1048576], ["GB", 1073741824]];
    var number = new Intl.NumberFormat(document.documentElement.lang || "vi", { maximumFractionDigits: 1 });
    for (var i = 0; i < units.length; i++) {
      if (size < units[i][1] * 1024 || i === units.length - 1) {
        return number.format(Math.round((size / units[i][1]) * 10) / 10) + " " + units[i][0];
      }
    }
  }

  /* dd/mm/yyyy HH:MM in the offices' time zone, as the server writes dates. */
  function localDate(iso, timeZone) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone, day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.day + "/" + parts.month + "/" + parts.year + " " + parts.hour + ":" + parts.minute;
  }

  function cell(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addRow(file, timeZone, strings) {
    var body = document.querySelector("#attachment-list tbody");
    var row = document.createElement("tr");
    row.className = "attachment-row";
    row.dataset.attachmentId = file.id;
    var name = cell("th");
    name.scope = "row";
    var link = cell("a", file.filename);
    link.href = file.download_url;
    link.setAttribute("download", "");
    name.appendChild(link);
    var sha = cell("code", file.sha256.slice(0, 12));
    sha.title = file.sha256;
    var shaCell = cell("td");
    shaCell.appendChild(sha);
    var who = cell("td");
    var person = cell("span", file.uploaded_by_name || file.uploaded_by || "");
    person.className = "person";
    if (file.uploaded_by) person.title = file.uploaded_by;
    who.appendChild(person);
    var when = cell("span");
    when.className = "secondary";
    when.appendChild(cell("time", localDate(file.uploaded_at, timeZone)));
    who.appendChild(when);
    var size = cell("td", sizeLabel(file.size));
    size.className = "number";
    var signatures = cell("td", (file.signatures || []).length ? "" : "—");
    signatures.dataset.testid = "signatures";
    (file.signatures || []).forEach(function (check) {
      var line = cell("p", strings.signed_by.replace("{signer}", check.signer || "?")
        .replace("{verdict}", check.good ? strings.signature_good : strings.signature_not_good));
      line.className = "signature signature-" + (check.good ? "good" : "broken");
      signatures.appendChild(line);
    });
    [name, cell("td", file.component || "—"), size, shaCell, who, signatures].forEach(function (node) {
      row.appendChild(node);
    });
    body.insertBefore(row, body.querySelector(".attachment-empty"));
    body.querySelector(".attachment-empty").hidden = true;
  }

  function start() {
    var node = document.getElementById("attachments-context");
    var form = document.getElementById("attachment-form");
    if (!node || !form) return;
    var context = JSON.parse(node.textContent);
    var upload = context.upload;
    var S = context.strings;
    var input = document.getElementById("attachment-file");
    var select = document.getElementById("attachment-component");
    var button = document.getElementById("attachment-submit");
    var progress = document.getElementById("attachment-progress");
    var status = document.getElementById("attachment-status");
    var summary = document.getElementById("attachment-errors");
    var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

    function clearErrors() {
      summary.hidden = true;
      summary.textContent = "";
      form.querySelectorAll(".field-error").forEach(function (note) { note.remove(); });
      [input, select].forEach(function (field) {
        if (!field) return;
        field.removeAttribute("aria-invalid");
        field.setAttribute("aria-describedby", field === input ? "attachment-hint" : "");
        if (!field.getAttribute("aria-describedby")) field.removeAttribute("aria-describedby");
      });
    }

    /* The message under its field, and in the summary at the top of the form. */
    function showError(text, field) {
      field = field || input;
      var note = document.createElement("p");
      note.className = "field-error";
      note.id = field.id + "-error";
      note.textContent = text;
      field.parentNode.appendChild(note);
      field.setAttribute("aria-invalid", "true");
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + note.id : note.id);
      summary.textContent = "";
      summary.appendChild(cell("p", text));
      summary.hidden = false;
      summary.focus();
    }

    function done() {
      button.disabled = false;
      progress.hidden = true;
      status.textContent = "";
    }

    function refusal(status, data, file) {
      var error = (data && data.error) || {};
      var values = { name: file.name, size: sizeLabel(file.size), max: upload.max_label, types: upload.types_label };
      if (status === 413) return [format(S.too_large, values), input];
      if (error.code === "file_type_not_allowed") return [format(S.wrong_type, values), input];
      if (error.code === "file_empty") return [format(S.empty, values), input];
      if (error.code === "unknown_component") return [S.unknown_component, select || input];
      return [format(S.failed, { message: error.message || status }), input];
    }

    function send(file) {
      var body = new FormData();
      body.append("file", file, file.name);
      if (select && select.value) body.append("component", select.value);
      var request = new XMLHttpRequest();
      request.open("POST", upload.url);
      request.setRequestHeader("X-CSRFToken", csrf);
      request.setRequestHeader("Accept", "application/json");
      request.responseType = "json";
      request.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.floor((event.loaded / event.total) * 100);
        progress.value = percent;
        status.textContent = format(S.uploading, { percent: percent + "%" });
      });
      request.addEventListener("load", function () {
        done();
        if (request.status === 401) return window.Motcua.toLogin();
        if (request.status === 201 && request.response) {
          addRow(request.response, upload.timezone, S);
          form.reset();
          status.textContent = format(S.uploaded, { name: request.response.filename });
          return;
        }
        var problem = refusal(request.status, request.response, file);
        showError(problem[0], problem[1]);
      });
      request.addEventListener("error", function () {
        done();
        showError(S.network);
      });
      button.disabled = true;
      progress.value = 0;
      progress.hidden = false;
      status.textContent = format(S.uploading, { percent: "0%" });
      request.send(body);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var file = input.files && input.files[0];
      if (!file) return showError(S.choose);
      var values = { name: file.name, size: sizeLabel(file.size), max: upload.max_label, types: upload.types_label };
      var dot = file.name.lastIndexOf(".");
      var extension = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
      if (upload.extensions.indexOf(extension) < 0) return showError(format(S.wrong_type, values));
      if (file.size > upload.max_bytes) return showError(format(S.too_large, values));
      if (file.size === 0) return showError(format(S.empty, values));
      send(file);
    });
    button.disabled = false;  /* comes disabled from the server, so nothing is sent before this runs */
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
