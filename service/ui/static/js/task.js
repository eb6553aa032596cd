/* The task page: draws the task's JSON Schema form with @json-editor/json-editor, completes the
   task through POST /api/v1/tasks/<id>/complete and shows the server's 422 messages per field. */
(function () {
  "use strict";

  var M = window.Motcua;
  var S = M.strings;
  /* Leave out what was not filled in: "", null, empty lists (the schema decides what is required). */
  function prune(value) {
    if (Array.isArray(value)) {
      return value.map(prune).filter(function (item) { return item !== undefined; });
    }
    if (value !== null && typeof value === "object") {
      var result = {};
      Object.keys(value).forEach(function (key) {
        var item = prune(value[key]);
        if (item !== undefined) result[key] = item;
      });
      return result;
    }
    if (value === "" || value === null || value === undefined) return undefined;
    return value;
  }

  /* Radio groups the person has not answered (json-editor would send its first option). */
  function unanswered(holder, schema) {
    return Object.keys(schema.properties || {}).filter(function (name) {
      return schema.properties[name].format === "radio" &&
        !holder.querySelector('input[type="radio"][name="root[' + name + ']"]:checked');
    });
  }

  /* Fields hidden because their branch does not apply (json-editor dependencies) are not sent:
     what does not apply is neither submitted nor judged by the server. */
  function hiddenFields(editor, schema) {
    return Object.keys(schema.properties || {}).filter(function (name) {
      var sub = editor.getEditor("root." + name);
      return sub && sub.dependenciesFulfilled === false;
    });
  }

  function variablesOf(editor, holder, schema) {
    var result = prune(editor.getValue() || {}) || {};
    hiddenFields(editor, schema).forEach(function (name) { delete result[name]; });
    Object.keys(result).forEach(function (key) {
      if (Array.isArray(result[key]) && result[key].length === 0) delete result[key];
    });
    unanswered(holder, schema).forEach(function (name) { delete result[name]; });
    return result;
  }

  /* json-editor's "html" theme without its own error messages: the server's are shown instead. */
  function quietTheme() {
    var Html = window.JSONEditor.defaults.themes.html;
    class Quiet extends Html {
      getErrorMessage() {
        var node = document.createElement("span");
        node.hidden = true;
        return node;
      }
      addInputError() {}
      removeInputError() {}
    }
    window.JSONEditor.defaults.themes.motcua = Quiet;
  }

  /* After drawing: nothing chosen in radio groups (a decision must be made, not inherited from the
     first option), each group announced as a radio group named by its label, and required fields
     marked for screen readers (aria-required) and visibly (a star hidden from screen readers). */
  function prepareFields(editor, holder, schema) {
    holder.querySelectorAll('input[type="radio"]').forEach(function (radio) { radio.checked = false; });
    var required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      var sub = editor.getEditor("root." + name);
      if (!sub || !sub.container) return;
      var isRequired = required.indexOf(name) >= 0;
      var radio = schema.properties[name].format === "radio" && sub.input && sub.label;
      if (radio) {
        sub.label.id = sub.label.id || "label-" + safeId(name);
        sub.input.setAttribute("role", "radiogroup");
        sub.input.setAttribute("aria-labelledby", sub.label.id);
      }
      if (!isRequired) return;
      if (sub.label && !sub.label.querySelector(".required-mark")) {
        var mark = document.createElement("span");
        mark.className = "required-mark";
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = " *";
        sub.label.appendChild(mark);
      }
      var targets = radio ? [sub.input] : sub.container.querySelectorAll("input, textarea, select");
      targets.forEach(function (node) { node.setAttribute("aria-required", "true"); });
    });
  }

  function nameItems(schema) {
    Object.keys(schema.properties || {}).forEach(function (name) {
      var prop = schema.properties[name];
      if (prop.type === "array" && prop.items && typeof prop.items === "object" && !prop.items.title) {
        prop.items.title = S.item;
      }
    });
    return schema;
  }

  function setUpEditor(holder, schema) {
    var language = {
      button_add: S.button_add,
      button_add_row_title: S.button_add + " {{0}}",
      button_delete_row_title: S.button_delete + " {{0}}",
      button_delete_row_title_short: S.button_delete,
      button_delete_all: S.button_delete_all,
      button_delete_all_title: S.button_delete_all,
      button_move_up_title: S.button_move_up,
      button_move_down_title: S.button_move_down
    };
    window.JSONEditor.defaults.languages.motcua = language;
    window.JSONEditor.defaults.language = "motcua";
    quietTheme();
    var editor = new window.JSONEditor(holder, {
      schema: nameItems(schema),
      theme: "motcua",
      show_errors: "never",
      use_default_values: false,
      disable_edit_json: true,
      disable_properties: true,
      disable_collapse: true,
      disable_array_delete_all_rows: true,
      disable_array_delete_last_row: true,
      disable_array_reorder: true,
      prompt_before_delete: false,
      no_additional_properties: true
    });
    editor.on("ready", function () { prepareFields(editor, holder, schema); });
    return editor;
  }

  function safeId(path) {
    return path.replace(/[^A-Za-z0-9_-]/g, "-");
  }

  function fieldId(path) {
    return "error-" + safeId(path);
  }

  function clearErrors(form, summary) {
    summary.hidden = true;
    summary.textContent = "";
    form.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      var described = (node.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id.indexOf("error-") !== 0;
      });
      if (described.length) node.setAttribute("aria-describedby", described.join(" "));
      else node.removeAttribute("aria-describedby");
    });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
  }

  /* Put the message under its field; returns the id of the first input of the field, if any. */
  function attach(editor, path, text) {
    var sub = editor && path !== "_schema" ? editor.getEditor("root." + path.split("/").join(".")) : null;
    if (!sub || !sub.container) return null;
    var note = document.createElement("p");
    note.className = "field-error";
    note.id = fieldId(path);
    note.dataset.field = path;
    note.textContent = text;
    sub.container.classList.add("has-error");
    sub.container.appendChild(note);
    var inputs = sub.container.querySelectorAll("input, textarea, select");
    inputs.forEach(function (input) {
      input.setAttribute("aria-invalid", "true");
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + note.id : note.id);
    });
    return inputs.length ? inputs[0] : null;
  }

  function showErrors(summary, lines, intro) {
    M.clearMessages();  // "Đã nhận việc" no longer describes the page
    summary.textContent = "";
    if (intro) {
      var head = document.createElement("p");
      head.textContent = intro;
      summary.appendChild(head);
    }
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      if (line.input) {
        if (!line.input.id) line.input.id = "input-" + fieldId(line.path);
        var link = document.createElement("a");
        link.href = "#" + line.input.id;
        link.textContent = line.text;
        item.appendChild(link);
      } else {
        item.textContent = line.text;
      }
      list.appendChild(item);
    });
    summary.appendChild(list);
    summary.hidden = false;
    summary.focus();
  }

  function start() {
    var node = document.getElementById("task-context");
    var form = document.getElementById("task-form");
    if (!node || !form) return;
    var context = JSON.parse(node.textContent);
    var summary = document.getElementById("form-errors");
    var button = document.getElementById("complete");
    var nextButton = document.getElementById("complete-next");
    var label = button.textContent;
    var goTo = context.done_url;
    var editor = null;
    var holder = document.getElementById("editor");
    if (context.schema) {
      if (!window.JSONEditor) {
        showErrors(summary, [{ text: S.editor_missing }]);
        button.disabled = true;
        return;
      }
      editor = setUpEditor(holder, context.schema);
      editor.on("ready", function () { button.disabled = false; nextButton.disabled = false; });  // disabled from the server
    } else {
      button.disabled = false;
      nextButton.disabled = false;
    }
    /* Ctrl+Enter (Cmd+Enter): complete and open the next task of the day. */
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !nextButton.disabled) {
        event.preventDefault();
        /* The editor takes a field's value on "change" (on leaving it): let it take this one now. */
        event.target.dispatchEvent(new Event("change", { bubbles: true }));
        nextButton.click();
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      goTo = event.submitter === nextButton ? context.next_task_url : context.done_url;
      clearErrors(form, summary);
      var variables = editor ? variablesOf(editor, holder, context.schema) : {};
      button.disabled = true;
      nextButton.disabled = true;
      button.textContent = S.sending;
      M.post(context.complete_url, { variables: variables }).then(function (result) {
        if (result.ok) {
          window.location.assign(goTo);
          return;
        }
        button.disabled = false;
        nextButton.disabled = false;
        button.textContent = label;
        if (result.status === 401) return M.toLogin();
        var error = (result.data && result.data.error) || {};
        var fields = result.status === 422 && error.details && error.details.fields;
        if (!fields) {
          showErrors(summary, [{ text: M.errorMessage(result) }]);
          return;
        }
        var lines = Object.keys(fields).map(function (path) {
          var text = [].concat(fields[path]).filter(function (message, index, all) {
            return all.indexOf(message) === index;  // the server may repeat a message
          }).join(" ");
          var input = attach(editor, path, text);
          var name = context.labels[path.split("/")[0]] || path;
          return { path: path, input: input, text: path === "_schema" ? text : name + ": " + text };
        });
        showErrors(summary, lines, S.form_invalid);
      }, function () {
        button.disabled = false;
        nextButton.disabled = false;
        button.textContent = label;
        showErrors(summary, [{ text: S.network }]);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
