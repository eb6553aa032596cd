/* The reception counter: the procedure filter, the components of the chosen procedure, and the
   CCCD QR field. A scanner acting as a keyboard types the whole QR string and presses Enter:
   Enter (or the "Đọc mã QR" button) asks POST /api/v1/applicants/from-cccd and fills the
   applicant's fields, without submitting the form. The server does the same without JavaScript. */
(function () {
  "use strict";

  var M = window.Motcua;
  var CARD_FIELDS = ["name", "id_number", "birth_date", "sex", "address"];

  function start() {
    var node = document.getElementById("reception-context");
    var form = document.getElementById("reception-form");
    if (!node || !form) return;
    var context = JSON.parse(node.textContent);
    var S = context.strings;
    var select = document.getElementById("procedure");
    var qr = document.getElementById("cccd_qr");
    var qrError = document.getElementById("cccd_qr-error");
    var qrStatus = document.getElementById("cccd_qr-status");
    var readButton = document.getElementById("read-qr");
    var list = document.getElementById("component-list");
    var facts = document.getElementById("procedure-facts");

    /* The API's reasons (English) in the page's words, as the server translates them. */
    function qrMessage(reason) {
      for (var i = 0; i < context.qr_reasons.length; i++) {
        var match = new RegExp(context.qr_reasons[i][0]).exec(reason || "");
        if (match) return M.format(context.qr_reasons[i][1], { 0: match[1] || "" });
      }
      return S.qr_unreadable;
    }

    function setQrError(text) {
      var container = qr.closest(".field");
      qrError.textContent = text || "";
      qrError.hidden = !text;
      container.classList.toggle("has-error", !!text);
      if (text) qr.setAttribute("aria-invalid", "true");
      else qr.removeAttribute("aria-invalid");
    }

    /* 1990-07-15 (the API's ISO date) -> 15/07/1990, as the page shows dates. */
    function localDate(iso) {
      var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
      return parts ? parts[3] + "/" + parts[2] + "/" + parts[1] : iso;
    }

    function fill(card) {
      CARD_FIELDS.forEach(function (name) {
        var input = document.getElementById(name);
        if (!input || !card[name]) return;
        input.value = name === "birth_date" ? localDate(card[name]) : card[name];
        var container = input.closest(".field");
        if (container && container.classList.contains("has-error")) {
          container.classList.remove("has-error");
          input.removeAttribute("aria-invalid");
          var note = document.getElementById(name + "-error");
          if (note) note.remove();
        }
      });
    }

    var reading = false;
    function readQr() {
      var value = qr.value.trim();
      qrStatus.textContent = "";
      if (!value) {
        setQrError(S.qr_empty);
        qr.focus();
        return;
      }
      if (reading) return;
      reading = true;
      readButton.disabled = true;
      qrStatus.textContent = S.reading;
      M.post(context.from_cccd_url, { qr: value }).then(function (result) {
        reading = false;
        readButton.disabled = false;
        qrStatus.textContent = "";
        if (result.status === 401) return M.toLogin();
        if (result.ok && result.data) {
          setQrError("");
          fill(result.data);
          qrStatus.textContent = S.qr_filled;
          return;
        }
        var error = (result.data && result.data.error) || {};
        if (result.status === 422) setQrError(qrMessage(error.message));
        else setQrError(M.errorMessage(result));
        qr.focus();
      }, function () {
        reading = false;
        readButton.disabled = false;
        qrStatus.textContent = "";
        setQrError(M.strings.network);
      });
    }

    qr.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        readQr();
      }
    });
    readButton.addEventListener("click", function (event) {
      event.preventDefault();
      readQr();
    });
    /* A scanner's Enter (or a habit) in another field must not send a half-filled dossier: only
       the "Ghi nhận hồ sơ" button sends the form. */
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && target !== qr && target.tagName === "INPUT" &&
          target.type !== "checkbox" && target.type !== "submit") {
        event.preventDefault();
      }
    });

    /* The components of the chosen procedure, as checkboxes; ticks kept for the same procedure. */
    function element(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function showProcedure() {
      var procedure = context.procedures[select.value];
      facts.hidden = !procedure;
      if (procedure) {
        facts.querySelector('[data-fact="field"]').textContent = procedure.field;
        facts.querySelector('[data-fact="days"]').textContent = procedure.days;
        facts.querySelector('[data-fact="fee"]').textContent = procedure.fee || "—";
      }
      list.textContent = "";
      if (!procedure || !procedure.components.length) {
        list.appendChild(element("li", "secondary", procedure ? S.no_components : S.choose_first));
        return;
      }
      procedure.components.forEach(function (item, index) {
        var li = element("li");
        var box = element("input");
        box.type = "checkbox";
        box.name = "components";
        box.value = String(index);
        box.id = "component-" + index;
        var label = element("label", null, item.name + " ");
        label.htmlFor = box.id;
        var detail = item.form + (item.quantity && item.quantity !== 1 ? ", " + item.quantity : "");
        label.appendChild(element("span", "component-form", "(" + detail + ")"));
        if (item.required) {
          var mark = element("span", "required-mark", " * ");
          mark.id = box.id + "-required";
          mark.appendChild(element("span", "visually-hidden", S.required));
          label.appendChild(mark);
          box.setAttribute("aria-describedby", mark.id);
        }
        li.appendChild(box);
        li.appendChild(label);
        list.appendChild(li);
      });
    }

    var shown = select.value;
    select.addEventListener("change", function () {
      if (select.value === shown) return;
      shown = select.value;
      showProcedure();
    });

    /* The filter box: narrows the list of procedures by code or name (accents optional). */
    var filterBox = document.querySelector(".procedure-filter");
    var filter = document.getElementById("procedure-filter");
    var filterStatus = document.getElementById("procedure-filter-status");
    function plain(text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
    }
    filterBox.hidden = false;
    filter.addEventListener("input", function () {
      var words = plain(filter.value).split(/\s+/).filter(Boolean);
      var matches = [];
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;
        var text = plain(option.textContent);
        var match = words.every(function (word) { return text.indexOf(word) >= 0; });
        option.hidden = !match;
        option.disabled = !match && option.value !== select.value;
        if (match) matches.push(option);
      });
      filterStatus.textContent = words.length && !matches.length ? S.none_found : "";
      if (matches.length === 1 && select.value !== matches[0].value) {
        select.value = matches[0].value;
        select.dispatchEvent(new Event("change"));
      }
    });

    /* One dossier per click: a second click (or a second Enter) while the first is sent is ignored. */
    var receiveButton = document.getElementById("receive");
    var receiveLabel = receiveButton.textContent;
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
      receiveButton.setAttribute("aria-disabled", "true");
      receiveButton.textContent = M.strings.sending;
    });
    window.addEventListener("pageshow", function () {  // back to this page from the browser's history
      sent = false;
      receiveButton.removeAttribute("aria-disabled");
      receiveButton.textContent = receiveLabel;
    });

    /* The check's decision: only the fields of the chosen decision are shown (all without JS). */
    var decisions = form.querySelectorAll('input[name="decision"]');
    function showDecision() {
      var chosen = form.querySelector('input[name="decision"]:checked');
      form.querySelectorAll(".decision-fields").forEach(function (block) {
        block.hidden = !chosen || block.getAttribute("data-when") !== chosen.value;
      });
    }
    decisions.forEach(function (radio) { radio.addEventListener("change", showDecision); });
    showDecision();

    var summary = document.getElementById("reception-errors");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
