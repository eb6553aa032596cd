/* The process designer: the bpmn-js modeler (open, edit, deploy, download) and the side-by-side
   comparison of two versions. The server validates every deploy (service.engine's hardened parser);
   its 422 answer names the element, which is highlighted and selected here.
   Data comes from <script type="application/json" id="designer-context"> / id="compare-context">. */
(function () {
  "use strict";

  var M = window.Motcua;
  var BPMN_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  var ERROR_MARKER = "validation-error";
  /* The server's reasons for refusing a diagram (service/engine, definitions) -> the page's words. */
  var DEPLOY_REASONS = [
    [/names the form '([^']+)'.*there is no such form/, "deploy_missing_form"],
    [/^The form '([^']+)' of element '[^']*' declares (.+?), which the process computes/, "deploy_form_clash"],
    [/does not compile/, "deploy_compile"],
    [/is not supported: /, "deploy_expression"],
    [/^The condition of sequenceFlow /, "deploy_condition"],
    [/^The camunda:formKey of .* is an expression/, "deploy_form_expression"],
    [/has \w+:?\w*="([^"]*)", but the process has no element with that id/, "deploy_reference"],
    [/needs a topic/, "deploy_topic"],
    [/^The file is not well-formed XML/, "deploy_xml"],
    [/exactly one executable process/, "deploy_one_process"],
    [/candidateUsers/, "deploy_candidate_users"]
  ];
  /* Motcua's BPMN extension properties: <bpmn:extensionElements><spiffworkflow:properties>
     <spiffworkflow:property name="…" value="…"/>. bpmn-js has no descriptor for this namespace, so it
     keeps these elements as generic moddle elements ($type, $children, plain attributes) and writes
     them back unchanged. They are edited here as such, through the command below: registering a
     descriptor for the namespace would make bpmn-js drop every spiffworkflow element it does not
     describe (postScript, messageVariable…) on import. */
  var SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var UPDATE_PROPERTIES = "motcua.spiffProperties.update";
  var HUMAN_TYPES = ["bpmn:UserTask", "bpmn:ManualTask"];
  var EVENT_TYPES = [
    "bpmn:StartEvent", "bpmn:EndEvent", "bpmn:IntermediateCatchEvent", "bpmn:IntermediateThrowEvent",
    "bpmn:BoundaryEvent"
  ];
  var EDITED = [
    "formKey", "candidateGroups", "allotment", "dueIn", "unit", "unitVariable", "dossierStatus", "clock",
    "document", "assigneeVariable", "dueDateVariable"
  ];
  var GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
  var UNIT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  var VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
  var DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$/i;

  function $(id) { return document.getElementById(id); }

  function readContext(id) {
    var node = $(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function csrfToken() {
    return document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  }

  function escapeXml(text) {
    return String(text).replace(/[<>&"']/g, function (c) {
      return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" }[c];
    });
  }

  /* GET a version's XML from the API; rejects with a readable message. */
  function fetchXml(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } }).then(
      function (response) {
        if (response.status === 401) {
          M.toLogin();
          throw new Error(M.strings.session_expired);
        }
        if (!response.ok) {
          return response.json().catch(function () { return null; }).then(function (data) {
            var error = data && data.error;
            throw new Error((error && error.message) || String(response.status));
          });
        }
        return response.text();
      },
      function () { throw new Error(M.strings.network); }
    );
  }

  /* A readable reason why a diagram cannot be shown. */
  function loadProblem(S, error) {
    var message = (error && error.message) || String(error);
    if (/no diagram to display/.test(message)) return S.no_diagram;
    return M.format(S.load_failed, { message: message });
  }

  function showBox(box, title, items) {
    box.textContent = "";
    var heading = document.createElement("p");
    heading.textContent = title;
    box.appendChild(heading);
    if (items && items.length) {
      var list = document.createElement("ul");
      items.forEach(function (item) { list.appendChild(item); });
      box.appendChild(list);
    }
    box.hidden = false;
    box.focus();
  }

  /* ---------------------------------------------------------------- extension properties */

  function isSpiff(node, localName) {
    var ns = node && node.$descriptor && node.$descriptor.ns;
    return Boolean(ns && ns.uri === SPIFF_NS && ns.localName === localName);
  }

  /* The element's first <spiffworkflow:properties> and its properties as {name: value}. */
  function readProperties(bo) {
    var ext = bo && bo.extensionElements;
    var container = ((ext && ext.values) || []).filter(function (v) { return isSpiff(v, "properties"); })[0];
    var values = {};
    var order = [];
    ((container && container.$children) || []).forEach(function (child) {
      if (!isSpiff(child, "property") || !child.name) return;
      if (!(child.name in values)) order.push(child.name);
      values[child.name] = child.value === undefined || child.value === null ? "" : String(child.value);
    });
    return { ext: ext, container: container, values: values, order: order };
  }

  /* The prefix the document gives the spiffworkflow namespace (spiffworkflow when it has none). */
  function spiffPrefix(definitions) {
    var attrs = (definitions && definitions.$attrs) || {};
    var found = Object.keys(attrs).filter(function (key) {
      return /^xmlns:/.test(key) && attrs[key] === SPIFF_NS;
    })[0];
    return found ? found.slice(6) : "spiffworkflow";
  }

  /* What an element's extension elements look like at one moment: restoring it is the undo. */
  function snapshot(bo) {
    var read = readProperties(bo);
    return {
      ext: read.ext,
      values: read.ext ? read.ext.values : undefined,
      container: read.container,
      children: read.container ? read.container.$children : undefined
    };
  }

  function restore(bo, state) {
    bo.set("extensionElements", state.ext);
    if (state.ext) state.ext.set("values", state.values);
    if (state.container) state.container.$children = state.children;
  }

  /* The state after setting the named properties ("" removes one); every other child (unknown
     properties, other extension elements) stays, in its place and unchanged. */
  function planChange(moddle, bo, changes, prefix) {
    var before = snapshot(bo);
    var ext = before.ext;
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = bo;
    }
    var values = (before.values || []).slice();
    var container = before.container;
    var children = container ? (container.$children || []).slice() : [];
    Object.keys(changes).forEach(function (name) {
      var value = changes[name];
      var replacement = null;
      if (value !== "") replacement = moddle.createAny(prefix + ":property", SPIFF_NS, { name: name, value: value });
      var placed = false;
      children = children.map(function (child) {
        if (!isSpiff(child, "property") || child.name !== name) return child;
        if (placed) return null; /* a repeated name: the one edited value replaces them all */
        placed = true;
        return replacement;
      }).filter(Boolean);
      if (!placed && replacement) children.push(replacement);
    });
    if (!container && children.length) {
      container = moddle.createAny(prefix + ":properties", SPIFF_NS, {});
      container.$parent = ext;
      values.push(container);
    }
    children.forEach(function (child) { child.$parent = container; });
    if (container && !children.length) values = values.filter(function (v) { return v !== container; });
    return { ext: values.length ? ext : undefined, values: values, container: container, children: children };
  }

  /* The command: context {element, changes: {name: value}}; execute and revert swap whole arrays. */
  function PropertiesHandler(moddle, bpmnjs) {
    this.moddle = moddle;
    this.bpmnjs = bpmnjs;
  }
  PropertiesHandler.$inject = ["moddle", "bpmnjs"];
  PropertiesHandler.prototype.execute = function (context) {
    var bo = context.element.businessObject;
    context.before = snapshot(bo);
    if (!context.after) {
      context.after = planChange(this.moddle, bo, context.changes, spiffPrefix(this.bpmnjs.getDefinitions()));
    }
    restore(bo, context.after);
    return [context.element];
  };
  PropertiesHandler.prototype.revert = function (context) {
    restore(context.element.businessObject, context.before);
    return [context.element];
  };

  /* ---------------------------------------------------------------- the modeler */

  function newDiagram(S) {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
      'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
      'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
      'id="Definitions_1" targetNamespace="https://motcua.example/bpmn">\n' +
      '  <bpmn:process id="quy_trinh_moi" name="' + escapeXml(S.new_name) + '" isExecutable="true">\n' +
      '    <bpmn:startEvent id="start" name="' + escapeXml(S.start_name) + '" />\n' +
      "  </bpmn:process>\n" +
      '  <bpmndi:BPMNDiagram id="BPMNDiagram_1">\n' +
      '    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="quy_trinh_moi">\n' +
      '      <bpmndi:BPMNShape id="start_di" bpmnElement="start">\n' +
      '        <dc:Bounds x="180" y="160" width="36" height="36" />\n' +
      "      </bpmndi:BPMNShape>\n" +
      "    </bpmndi:BPMNPlane>\n" +
      "  </bpmndi:BPMNDiagram>\n" +
      "</bpmn:definitions>\n"
    );
  }

  function localDate(iso, timeZone) {
    if (!iso) return "";
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timeZone, day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.day + "/" + parts.month + "/" + parts.year + " " + parts.hour + ":" + parts.minute;
  }

  /* bpmn-js's `translate` service: its palette's and context pad's words in the page's language. */
  function translation(S) {
    var words = S.bpmn || {};
    function translate(template, replacements) {
      var text = words[template] || template;
      return text.replace(/{([^}]+)}/g, function (whole, key) {
        return replacements && key in replacements ? replacements[key] : whole;
      });
    }
    return { translate: ["value", translate] };
  }

  function modelerPage(ctx) {
    var S = ctx.strings;
    var errorsBox = $("designer-errors");
    var idInput = $("process-id");
    var nameInput = $("process-name");
    var deployButton = $("deploy");
    var downloadButton = $("download");
    var dirtyFlag = $("dirty");
    var state = { key: ctx.key, dirty: false, markers: [] };

    if (typeof window.BpmnJS !== "function") {
      showBox(errorsBox, S.modeler_missing);
      return;
    }
    var modeler = new window.BpmnJS({ container: $("canvas"), additionalModules: [translation(S)] });
    window.motcuaModeler = modeler; /* for the browser tests and the curious */
    modeler.get("commandStack").registerHandler(UPDATE_PROPERTIES, PropertiesHandler);

    function setDirty(value) {
      state.dirty = value;
      dirtyFlag.hidden = !value;
    }

    window.addEventListener("beforeunload", function (event) {
      if (!state.dirty) return undefined;
      event.preventDefault();
      event.returnValue = S.unsaved;
      return S.unsaved;
    });

    /* A collaboration whose pools exchange messages deploys as one definition keyed by its own id
       (docs/modelers.md): then the key and name fields are the collaboration's. */
    function exchangingCollaboration() {
      var root = modeler.get("canvas").getRootElement();
      var bo = root && root.businessObject;
      if (!bo || bo.$type !== "bpmn:Collaboration") return null;
      function poolOf(ref) {
        if (ref && ref.$type === "bpmn:Participant") return ref.processRef || null;
        var node = ref;
        while (node && node.$type !== "bpmn:Process") node = node.$parent;
        return node || null;
      }
      var joined = (bo.messageFlows || []).some(function (flow) {
        var source = poolOf(flow.sourceRef), target = poolOf(flow.targetRef);
        return source && target && source !== target && source.isExecutable && target.isExecutable;
      });
      return joined ? { process: bo, owner: root, isRoot: true } : null;
    }

    /* The executable process, and the diagram element that owns it (the root or a participant). */
    function processInfo() {
      var collaboration = exchangingCollaboration();
      if (collaboration) return collaboration;
      var definitions = modeler.getDefinitions();
      var processes = ((definitions && definitions.rootElements) || []).filter(function (element) {
        return element.$type === "bpmn:Process";
      });
      /* A file with several executable pools: the one this page's key names. */
      var process = processes.filter(function (p) { return state.key && p.id === state.key; })[0] ||
        processes.filter(function (p) { return p.isExecutable; })[0] || processes[0];
      if (!process) return null;
      var root = modeler.get("canvas").getRootElement();
      if (root && root.businessObject === process) return { process: process, owner: root, isRoot: true };
      var participant = modeler.get("elementRegistry").filter(function (element) {
        return element.type === "bpmn:Participant" && element.businessObject.processRef === process;
      })[0];
      return { process: process, owner: participant || root, isRoot: false };
    }

    function refreshFields() {
      var info = processInfo();
      if (document.activeElement !== idInput) idInput.value = info ? info.process.id || "" : "";
      if (document.activeElement !== nameInput) nameInput.value = info ? info.process.name || "" : "";
    }

    function fieldError(input, message) {
      var field = input.closest(".field");
      var old = field.querySelector(".field-error");
      if (old) old.remove();
      field.classList.toggle("has-error", Boolean(message));
      if (input.dataset.describedby === undefined) input.dataset.describedby = input.getAttribute("aria-describedby") || "";
      var described = input.dataset.describedby;
      if (message) {
        input.setAttribute("aria-invalid", "true");
        var line = document.createElement("p");
        line.className = "field-error";
        line.id = input.id + "-error";
        line.textContent = message;
        field.appendChild(line);
        described = (described + " " + line.id).trim();
      } else {
        input.removeAttribute("aria-invalid");
      }
      if (described) input.setAttribute("aria-describedby", described);
      else input.removeAttribute("aria-describedby");
    }

    /* The selected element: its id, documentation, a script task's script, a sequence flow's
       condition, a lane's name, a user task's (or an event's) extension properties. */
    var panel = {
      form: $("element-form"), none: $("element-none"), type: $("element-type"),
      id: $("element-id"), script: $("element-script"), condition: $("element-condition"),
      documentation: $("element-documentation"), lane: $("lane-name"),
      properties: $("spiff-properties"), others: $("other-properties"),
      element: null
    };
    var propertyInputs = {};
    EDITED.forEach(function (name) { propertyInputs[name] = $("property-" + name); });

    function kindOf(element) {
      if (HUMAN_TYPES.indexOf(element.type) >= 0) return "human";
      if (EVENT_TYPES.indexOf(element.type) >= 0) return "event";
      return "";
    }

    /* What is wrong with a property's value as typed ("" when nothing). */
    function propertyProblem(name, value) {
      if (!value) return "";
      switch (name) {
        case "allotment":
          return /^\d+(\.\d+)?$/.test(value) ? "" : S.bad_allotment;
        case "dueIn":
          return DURATION.test(value) && !(/W/i.test(value) && /\d[YMD]/i.test(value.split(/T/i)[0]))
            ? "" : S.bad_duration;
        case "dossierStatus":
          return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 10 ? "" : S.bad_status;
        case "candidateGroups":
          return value.split(",").every(function (g) { return GROUP.test(g.trim()); }) ? "" : S.bad_groups;
        case "unit":
          return UNIT.test(value) ? "" : S.bad_unit;
        case "unitVariable":
        case "assigneeVariable":
        case "dueDateVariable":
          return VARIABLE.test(value) ? "" : S.bad_variable;
        case "formKey":
          return ctx.forms.indexOf(value) >= 0 ? "" : M.format(S.missing_form, { key: value });
        default:
          return "";
      }
    }

    /* The value as stored: trimmed, a decimal comma made a dot, groups without spaces. */
    function normalise(name, value) {
      value = value.trim();
      if (name === "allotment") value = value.replace(",", ".");
      if (name === "candidateGroups") {
        value = value.split(",").map(function (g) { return g.trim(); }).filter(Boolean).join(",");
      }
      if (name === "dueIn") value = value.toUpperCase();
      return value;
    }

    /* A select shows a value the diagram has even when it is not among the choices. */
    function selectValue(select, value, label) {
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
      Array.prototype.slice.call(select.querySelectorAll("option[data-extra]")).forEach(function (o) {
        if (o.value !== value) o.remove();
      });
      if (!known) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = label;
        option.dataset.extra = "true";
        select.appendChild(option);
      }
      select.value = value;
    }

    function showProperties(element) {
      var kind = kindOf(element);
      panel.properties.hidden = !kind;
      if (!kind) return;
      var read = readProperties(element.businessObject);
      EDITED.forEach(function (name) {
        var input = propertyInputs[name];
        var field = input.closest(".field");
        field.hidden = (field.dataset.for || "").split(" ").indexOf(kind) < 0;
        if (field.hidden || document.activeElement === input) return;
        if (input.dataset.pending === element.id) return; /* keeps a refused value as typed */
        var value = read.values[name] || "";
        if (input.tagName === "SELECT") {
          var label = M.format(name === "formKey" ? S.missing_option : S.other_option, { key: value, value: value });
          selectValue(input, value, label);
        } else {
          input.value = value;
        }
        fieldError(input, propertyProblem(name, value));
      });
      var list = panel.others.querySelector("ul");
      list.textContent = "";
      read.order.filter(function (name) { return EDITED.indexOf(name) < 0; }).forEach(function (name) {
        var item = document.createElement("li");
        var code = document.createElement("code");
        code.textContent = name + " = " + read.values[name];
        item.appendChild(code);
        list.appendChild(item);
      });
      panel.others.hidden = !list.children.length;
    }

    function documentationOf(bo) {
      var doc = (bo.documentation || []).filter(function (d) {
        return !d.textFormat || d.textFormat === "text/plain";
      })[0];
      return (doc && doc.text) || "";
    }

    function showElement() {
      var element = panel.element;
      var editable = element && element.type !== "label" && element !== modeler.get("canvas").getRootElement();
      panel.form.hidden = !editable;
      panel.none.hidden = Boolean(editable);
      if (!editable) return;
      var bo = element.businessObject;
      panel.type.textContent = element.type.replace(/^bpmn:/, "") + (bo.name ? " · " + bo.name : "");
      if (document.activeElement !== panel.id) {
        panel.id.value = element.id;
        fieldError(panel.id, "");
      }
      var isScript = element.type === "bpmn:ScriptTask";
      var isFlow = element.type === "bpmn:SequenceFlow";
      var isLane = element.type === "bpmn:Lane";
      $("field-element-script").hidden = !isScript;
      $("field-element-condition").hidden = !isFlow;
      $("field-lane-name").hidden = !isLane;
      if (isScript && document.activeElement !== panel.script) panel.script.value = bo.script || "";
      if (isFlow && document.activeElement !== panel.condition) {
        panel.condition.value = (bo.conditionExpression && bo.conditionExpression.body) || "";
      }
      if (isLane && document.activeElement !== panel.lane) {
        panel.lane.value = bo.name || "";
        fieldError(panel.lane, "");
      }
      if (document.activeElement !== panel.documentation) panel.documentation.value = documentationOf(bo);
      showProperties(element);
    }

    modeler.on("selection.changed", function (event) {
      var chosen = event.newSelection.length === 1 ? event.newSelection[0] : null;
      if (chosen !== panel.element && document.activeElement && panel.form.contains(document.activeElement)) {
        document.activeElement.blur(); /* applies what was typed to the element it was typed for */
      }
      if (chosen !== panel.element) {
        EDITED.forEach(function (name) { delete propertyInputs[name].dataset.pending; });
      }
      panel.element = chosen;
      showElement();
    });
    modeler.on("elements.changed", function () {
      if (panel.element) showElement();
    });

    panel.id.addEventListener("change", function () {
      var element = panel.element;
      var value = panel.id.value.trim();
      if (!element || value === element.id) return fieldError(panel.id, "");
      var other = modeler.get("elementRegistry").get(value);
      var problem = !BPMN_ID.test(value) ? S.bad_element_id : other ? M.format(S.element_id_taken, { id: value }) : "";
      fieldError(panel.id, problem);
      if (!problem) modeler.get("modeling").updateProperties(element, { id: value });
    });
    panel.script.addEventListener("change", function () {
      if (!panel.element) return;
      modeler.get("modeling").updateProperties(panel.element, { script: panel.script.value });
    });
    panel.condition.addEventListener("change", function () {
      if (!panel.element) return;
      var body = panel.condition.value.trim();
      var expression = body
        ? modeler.get("moddle").create("bpmn:FormalExpression", { body: body })
        : undefined;
      modeler.get("modeling").updateProperties(panel.element, { conditionExpression: expression });
    });

    panel.documentation.addEventListener("change", function () {
      var element = panel.element;
      if (!element) return;
      var bo = element.businessObject;
      var text = panel.documentation.value.trim();
      if (text === documentationOf(bo)) return;
      var docs = (bo.documentation || []).slice();
      var index = docs.findIndex(function (d) { return !d.textFormat || d.textFormat === "text/plain"; });
      if (text) {
        var doc = modeler.get("moddle").create("bpmn:Documentation", { text: text });
        doc.$parent = bo;
        if (index >= 0) docs[index] = doc;
        else docs.unshift(doc);
      } else if (index >= 0) {
        docs.splice(index, 1);
      }
      modeler.get("modeling").updateModdleProperties(element, bo, { documentation: docs });
    });
    panel.lane.addEventListener("change", function () {
      var element = panel.element;
      if (!element || element.type !== "bpmn:Lane") return;
      var value = panel.lane.value.trim();
      var problem = value && !GROUP.test(value) ? S.bad_lane : "";
      fieldError(panel.lane, problem);
      if (problem || value === (element.businessObject.name || "")) return;
      modeler.get("modeling").updateProperties(element, { name: value || undefined });
    });
    EDITED.forEach(function (name) {
      var input = propertyInputs[name];
      input.addEventListener("change", function () {
        var element = panel.element;
        if (!element || !kindOf(element)) return;
        var value = normalise(name, input.value);
        var problem = propertyProblem(name, value);
        fieldError(input, problem);
        /* A form that does not exist is only kept when it was already there (the server refuses it). */
        if (problem && name !== "formKey") {
          input.dataset.pending = element.id;
          return;
        }
        delete input.dataset.pending;
        if ((readProperties(element.businessObject).values[name] || "") === value) return;
        var changes = {};
        changes[name] = value;
        modeler.get("commandStack").execute(UPDATE_PROPERTIES, { element: element, changes: changes });
      });
    });

    function checkId() {
      if (!processInfo()) return S.no_process;
      var value = idInput.value.trim();
      if (!BPMN_ID.test(value)) return S.bad_id;
      if (value !== state.key && ctx.existing_keys.indexOf(value) >= 0) return M.format(S.key_taken, { key: value });
      return "";
    }

    function checkName() {
      return nameInput.value.trim() ? "" : S.name_required;
    }

    /* Typing into the fields changes the process (one undoable command per change). */
    function applyField(input, property, check) {
      var problem = check();
      fieldError(input, problem);
      var info = processInfo();
      if (problem || !info) return;
      var value = input.value.trim();
      if (info.process[property] === value) return;
      var props = {};
      props[property] = value;
      var modeling = modeler.get("modeling");
      if (info.isRoot && property === "id") {
        modeling.updateProperties(info.owner, props);
      } else {
        modeling.updateModdleProperties(info.owner, info.process, props);
      }
    }

    idInput.addEventListener("change", function () { applyField(idInput, "id", checkId); });
    nameInput.addEventListener("change", function () { applyField(nameInput, "name", checkName); });

    modeler.on("commandStack.changed", function () {
      setDirty(true);
      refreshFields();
    });

    function clearMarkers() {
      var canvas = modeler.get("canvas");
      state.markers.forEach(function (id) {
        if (modeler.get("elementRegistry").get(id)) canvas.removeMarker(id, ERROR_MARKER);
      });
      state.markers = [];
    }

    function focusElement(id) {
      var element = id && modeler.get("elementRegistry").get(id);
      if (!element) return false;
      modeler.get("selection").select(element);
      if (element !== modeler.get("canvas").getRootElement()) modeler.get("canvas").scrollToElement(element);
      return true;
    }

    /* The element as the designer knows it: its name, else its id. */
    function elementName(id) {
      var element = id && modeler.get("elementRegistry").get(id);
      var name = element && element.businessObject && element.businessObject.name;
      return (name && String(name).trim()) || id;
    }

    /* The server's (English) reason in the page's words: the kinds of refusal a designer meets;
       anything else is "not valid", with the server's text under "technical details". */
    function reasonOf(message) {
      for (var i = 0; i < DEPLOY_REASONS.length; i++) {
        var match = DEPLOY_REASONS[i][0].exec(message || "");
        if (match) return M.format(S[DEPLOY_REASONS[i][1]], { 0: match[1] || "", 1: match[2] || "" });
      }
      return S.deploy_other;
    }

    function showServerError(result) {
      clearMarkers();
      var error = (result.data && result.data.error) || {};
      var details = error.details || {};
      if (result.status !== 422) {
        showBox(errorsBox, M.errorMessage(result));
        return;
      }
      var item = document.createElement("li");
      var id = details.element_id;
      var known = id && modeler.get("elementRegistry").get(id);
      if (id) {
        var where = known ? document.createElement("button") : document.createElement("span");
        where.textContent = M.format(S.element, { name: elementName(id) });
        if (known) {
          where.type = "button";
          where.className = "button-link error-element";
          where.dataset.elementId = id;
          where.title = S.select_element;
          where.addEventListener("click", function () { focusElement(id); });
        }
        item.appendChild(where);
        item.appendChild(document.createTextNode(": "));
      }
      var reason = document.createElement("span");
      reason.className = "error-reason";
      reason.textContent = reasonOf(error.message);
      item.appendChild(reason);
      if (error.message) {
        var more = document.createElement("details");
        more.className = "error-technical";
        var summary = document.createElement("summary");
        summary.textContent = S.technical;
        var text = document.createElement("code");
        text.lang = "en";
        text.textContent = error.message;
        more.appendChild(summary);
        more.appendChild(text);
        item.appendChild(more);
      }
      item.setAttribute("data-testid", "error");
      showBox(errorsBox, S.invalid, [item]);
      if (known) {
        modeler.get("canvas").addMarker(id, ERROR_MARKER);
        state.markers.push(id);
        focusElement(id);
      }
    }

    function showDeployed(answer, created) {
      /* A file with several definitions: the one of the key field (else the first). */
      var key = idInput.value.trim();
      var named = (answer.definitions || []).filter(function (d) { return d.key === key; })[0];
      var definition = named ? {
        key: named.key, version: named.version, name: named.name, deployed_at: answer.deployed_at,
        diagram_only: false
      } : answer;
      created = named ? named.created : created;
      errorsBox.hidden = true;
      setDirty(false);
      state.key = definition.key;
      if (ctx.existing_keys.indexOf(definition.key) < 0) ctx.existing_keys.push(definition.key);
      var page = definition.diagram_only ? ctx.diagram_page_url : ctx.page_url;
      var url = page.replace("KEY", encodeURIComponent(definition.key)).replace(
        /version=0$/, "version=" + definition.version
      );
      window.history.replaceState(null, "", url);
      $("current-version").textContent = "";
      var code = document.createElement("code");
      code.textContent = definition.key;
      $("current-version").appendChild(code);
      $("current-version").appendChild(
        document.createTextNode(" · " + M.format(S.version_at, {
          version: definition.version, at: localDate(definition.deployed_at, ctx.timezone)
        }))
      );
      $("title").textContent = definition.name;
      document.title = definition.name + " · Motcua";
      M.announce(
        M.format(created ? S.deployed : S.unchanged, { version: definition.version, key: definition.key }),
        "success"
      );
    }

    function deploy(event) {
      event.preventDefault();
      var idProblem = checkId();
      var nameProblem = checkName();
      fieldError(idInput, idProblem);
      fieldError(nameInput, nameProblem);
      if (idProblem || nameProblem) {
        (idProblem ? idInput : nameInput).focus();
        return;
      }
      applyField(idInput, "id", checkId);
      applyField(nameInput, "name", checkName);
      deployButton.disabled = true;
      deployButton.textContent = S.deploying;
      modeler.saveXML({ format: true }).then(function (saved) {
        var body = new FormData();
        var key = idInput.value.trim();
        body.append("file", new Blob([saved.xml], { type: "application/xml" }), key + ".bpmn");
        return fetch(ctx.deploy_url, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
          body: body
        }).then(function (response) {
          return response.json().catch(function () { return null; }).then(function (data) {
            return { ok: response.ok, status: response.status, data: data };
          });
        }, function () { return { ok: false, status: 0, network: true, data: null }; });
      }).then(function (result) {
        /* A lost session keeps the diagram here: download it, log in again in another tab, deploy. */
        if (result.status === 401) showBox(errorsBox, M.strings.session_expired);
        else if (result.network) showBox(errorsBox, M.strings.network);
        else if (result.ok) showDeployed(result.data, result.status === 201);
        else showServerError(result);
      }, function (error) {
        showBox(errorsBox, M.format(M.strings.failed, { message: error.message || error }));
      }).then(function () {
        deployButton.disabled = false;
        deployButton.textContent = deployButton.dataset.label;
      });
    }

    function download() {
      modeler.saveXML({ format: true }).then(function (saved) {
        var url = URL.createObjectURL(new Blob([saved.xml], { type: "application/xml" }));
        var link = document.createElement("a");
        link.href = url;
        link.download = (idInput.value.trim() || "process") + ".bpmn";
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
    }

    /* The whole drawing in view, to the right of the palette (which floats over the canvas's left
       side and would otherwise hide the pool's and lanes' names and the start event). */
    function clearOfPalette(canvas, container) {
      canvas.zoom("fit-viewport", "auto");
      var palette = container.querySelector(".djs-palette");
      var inner = canvas.viewbox().inner;
      if (!palette || !inner.width || !inner.height) return;
      var margin = 16;
      var left = palette.getBoundingClientRect().right - container.getBoundingClientRect().left + margin;
      var width = container.clientWidth, height = container.clientHeight;
      var scale = Math.min(canvas.viewbox().scale, (width - left - margin) / inner.width,
        (height - 2 * margin) / inner.height);
      if (!(scale > 0)) return;
      canvas.viewbox({
        x: inner.x - left / scale,
        y: inner.y - (height / scale - inner.height) / 2,
        width: width / scale,
        height: height / scale
      });
    }

    /* SpiffWorkflow names variables where BPMN expects element ids (loopDataInputRef "agencies"):
       bpmn-js drops such unresolved references on import, so put them back as they were written. */
    function restoreReferences(warnings) {
      var moddle = modeler.get("moddle");
      (warnings || []).forEach(function (warning) {
        if (!warning.element || !warning.property || typeof warning.value !== "string") return;
        if (!/^unresolved reference/.test(warning.message || "")) return;
        var descriptor = warning.element.$descriptor;
        var property = descriptor && descriptor.propertiesByName[warning.property];
        if (!property || property.isMany || warning.element.get(warning.property)) return;
        warning.element.set(warning.property, moddle.create("bpmn:ItemAwareElement", { id: warning.value }));
      });
    }

    function ready(result) {
      restoreReferences(result && result.warnings);
      refreshFields();
      clearOfPalette(modeler.get("canvas"), $("canvas"));
      [idInput, nameInput, deployButton, downloadButton].forEach(function (node) { node.disabled = false; });
      deployButton.dataset.label = deployButton.textContent;
      $("designer-form").addEventListener("submit", deploy);
      downloadButton.addEventListener("click", download);
      document.body.dataset.designerReady = "true";
    }

    var source = ctx.xml_url ? fetchXml(ctx.xml_url) : Promise.resolve(newDiagram(S));
    source.then(function (xml) {
      return modeler.importXML(xml);
    }).then(ready, function (error) {
      showBox(errorsBox, loadProblem(S, error));
    });
  }

  /* ---------------------------------------------------------------- the comparison */

  function plain(value, depth) {
    if (depth > 8 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map(function (item) { return plain(item, depth + 1); });
    var out = {};
    Object.keys(value).sort().forEach(function (key) {
      if (key === "$parent" || key === "$model" || key === "$descriptor" || key === "di") return;
      out[key] = plain(value[key], depth + 1);
    });
    if (value.$type) out.$type = value.$type;
    return out;
  }

  function ids(list) {
    return (list || []).map(function (item) { return item.id; }).sort().join(",");
  }

  /* What the comparison looks at, per element id (labels and the root are left out). */
  function inventory(viewer) {
    var root = viewer.get("canvas").getRootElement();
    var result = {};
    viewer.get("elementRegistry").forEach(function (element) {
      if (element.type === "label" || element === root || !element.businessObject) return;
      var bo = element.businessObject;
      result[element.id] = {
        type: element.type,
        name: bo.name || "",
        incoming: ids(bo.incoming),
        outgoing: ids(bo.outgoing),
        script: bo.script || "",
        condition: (bo.conditionExpression && bo.conditionExpression.body) || "",
        documentation: (bo.documentation || []).map(function (d) { return d.text || ""; }).join("\n"),
        properties: JSON.stringify(plain(bo.extensionElements || null, 0))
      };
    });
    return result;
  }

  var ASPECTS = ["type", "name", "incoming", "outgoing", "script", "condition", "documentation", "properties"];

  /* [{id, kind: added|removed|changed, type, name, what: [aspect...], before, after}] by id. */
  function differences(left, right) {
    var found = [];
    Object.keys(left).forEach(function (id) {
      if (!right[id]) found.push({ id: id, kind: "removed", type: left[id].type, name: left[id].name, what: [] });
    });
    Object.keys(right).forEach(function (id) {
      if (!left[id]) {
        found.push({ id: id, kind: "added", type: right[id].type, name: right[id].name, what: [] });
        return;
      }
      var what = ASPECTS.filter(function (aspect) { return left[id][aspect] !== right[id][aspect]; });
      if (what.length) {
        found.push({
          id: id, kind: "changed", type: right[id].type, name: right[id].name, what: what,
          before: left[id], after: right[id]
        });
      }
    });
    return found.sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
  }

  function sameBox(a, b) {
    return ["x", "y", "width", "height"].every(function (k) { return Math.abs(a[k] - b[k]) < 0.5; });
  }

  /* Moving or zooming one viewer moves the other the same way. */
  function synchronise(a, b) {
    [[a, b], [b, a]].forEach(function (pair) {
      pair[0].on("canvas.viewbox.changed", function (event) {
        var other = pair[1].get("canvas");
        if (!sameBox(event.viewbox, other.viewbox())) other.viewbox(event.viewbox);
      });
    });
  }

  function comparePage(ctx) {
    var S = ctx.strings;
    var status = $("differences-status");
    var table = $("differences");
    if (typeof window.BpmnJS !== "function") {
      showBox($("designer-errors"), S.modeler_missing);
      return;
    }
    var left = new window.BpmnJS({ container: $("canvas-left") });
    var right = new window.BpmnJS({ container: $("canvas-right") });
    window.motcuaViewers = { left: left, right: right };

    function load(viewer, url) {
      return fetchXml(url).then(function (xml) { return viewer.importXML(xml); });
    }

    function mark(found) {
      found.forEach(function (d) {
        if (d.kind !== "added") left.get("canvas").addMarker(d.id, "diff-" + d.kind);
        if (d.kind !== "removed") right.get("canvas").addMarker(d.id, "diff-" + d.kind);
      });
    }

    function reveal(id) {
      [left, right].forEach(function (viewer) {
        var element = viewer.get("elementRegistry").get(id);
        if (element) viewer.get("canvas").scrollToElement(element);
      });
    }

    function describe(d) {
      if (d.kind !== "changed") return "";
      return d.what.map(function (aspect) {
        var label = S["what_" + aspect];
        if (aspect === "name" || aspect === "type") {
          return label + ": «" + d.before[aspect] + "» → «" + d.after[aspect] + "»";
        }
        return label;
      }).join("; ");
    }

    function list(found) {
      var body = table.querySelector("tbody");
      body.textContent = "";
      found.forEach(function (d) {
        var row = document.createElement("tr");
        row.className = "diff-row diff-row-" + d.kind;
        row.dataset.elementId = d.id;
        var kind = document.createElement("td");
        kind.textContent = S[d.kind];
        var element = document.createElement("td");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button-link";
        button.textContent = d.name ? d.name + " (" + d.id + ")" : d.id;
        button.addEventListener("click", function () { reveal(d.id); });
        element.appendChild(button);
        var type = document.createElement("td");
        type.textContent = d.type.replace(/^bpmn:/, "");
        var detail = document.createElement("td");
        detail.textContent = describe(d);
        [kind, element, type, detail].forEach(function (cell) { row.appendChild(cell); });
        body.appendChild(row);
      });
      table.hidden = !found.length;
      status.textContent = found.length ? "" : S.no_differences;
      status.hidden = Boolean(found.length);
    }

    Promise.all([load(left, ctx.left.xml_url), load(right, ctx.right.xml_url)]).then(function () {
      left.get("canvas").zoom("fit-viewport", "auto");
      right.get("canvas").viewbox(left.get("canvas").viewbox());
      var found = differences(inventory(left), inventory(right));
      mark(found);
      list(found);
      synchronise(left, right);
      document.body.dataset.designerReady = "true";
    }, function (error) {
      status.textContent = loadProblem(S, error);
      showBox($("designer-errors"), status.textContent);
    });
  }

  var modelerContext = readContext("designer-context");
  var compareContext = readContext("compare-context");
  if (modelerContext) modelerPage(modelerContext);
  if (compareContext) comparePage(compareContext);
})();
