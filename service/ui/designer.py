"""The process designer: a bpmn-js modeler to open, edit and deploy definitions, and to compare versions.

The pages only read: the modeler loads a version's XML from GET /api/v1/process-definitions/<key>/
versions/<n>/xml and deploys through POST /api/v1/process-definitions (multipart), where the hardened
parser of service.engine validates it. Nothing here parses BPMN.
"""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import forms
from ..definitions import operations as definitions
from ..definitions.permissions import require_designer
from ..errors import BadRequest
from ..identity.auth import current_user
from . import bp, display
from .dossier_pages import DOCUMENTS


def _designer() -> None:
    require_designer(current_user())


def _version_arg(name: str) -> int | None:
    """An optional positive version number from the query string (400 for anything else)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise BadRequest(_("Phiên bản “%(value)s” không hợp lệ: cần một số nguyên dương.", value=raw[:40]))
    return int(raw)


def _versions(key: str) -> list[dict]:
    return [
        {"version": d.version, "deployed_at": display.local_datetime(d.deployed_at)}
        for d in definitions.versions(key)
    ]


# bpmn-js's own words (its palette, context pad and lane tools, in English in the library) -> ours,
# given to the modeler as its `translate` service (designer.js).
BPMN_JS_WORDS = {
    "Activate hand tool": _l("Công cụ bàn tay (kéo sơ đồ)"),
    "Activate lasso tool": _l("Công cụ chọn vùng"),
    "Activate create/remove space tool": _l("Công cụ thêm/bớt khoảng trống"),
    "Activate global connect tool": _l("Công cụ nối các phần tử"),
    "Create start event": _l("Thêm sự kiện bắt đầu"),
    "Create intermediate/boundary event": _l("Thêm sự kiện trung gian/biên"),
    "Create end event": _l("Thêm sự kiện kết thúc"),
    "Create gateway": _l("Thêm cổng rẽ nhánh"),
    "Create task": _l("Thêm công việc"),
    "Create expanded sub-process": _l("Thêm quy trình con mở rộng"),
    "Create data object reference": _l("Thêm đối tượng dữ liệu"),
    "Create data store reference": _l("Thêm kho dữ liệu"),
    "Create pool/participant": _l("Thêm bể/bên tham gia"),
    "Create group": _l("Thêm nhóm phần tử"),
    "Append end event": _l("Nối sự kiện kết thúc"),
    "Append gateway": _l("Nối cổng rẽ nhánh"),
    "Append task": _l("Nối công việc"),
    "Append intermediate/boundary event": _l("Nối sự kiện trung gian/biên"),
    "Append receive task": _l("Nối công việc nhận thông điệp"),
    "Append message intermediate catch event": _l("Nối sự kiện chờ thông điệp"),
    "Append timer intermediate catch event": _l("Nối sự kiện hẹn giờ"),
    "Append conditional intermediate catch event": _l("Nối sự kiện chờ điều kiện"),
    "Append signal intermediate catch event": _l("Nối sự kiện chờ tín hiệu"),
    "Append compensation activity": _l("Nối hoạt động bù trừ"),
    "Connect to other element": _l("Nối tới phần tử khác"),
    "Connect using association": _l("Nối bằng liên kết"),
    "Connect using data input association": _l("Nối bằng liên kết dữ liệu vào"),
    "Change element": _l("Đổi loại phần tử"),
    "Delete": _l("Xóa"),
    "Add lane above": _l("Thêm làn phía trên"),
    "Add lane below": _l("Thêm làn phía dưới"),
    "Divide into two lanes": _l("Chia thành hai làn"),
    "Divide into three lanes": _l("Chia thành ba làn"),
    "Search in diagram": _l("Tìm trong sơ đồ"),
    "Align elements": _l("Căn các phần tử"),
}


def _strings() -> dict:
    """The words designer.js shows ({0}, {version}…: filled in by the script)."""
    return {
        "bpmn": {english: str(words) for english, words in BPMN_JS_WORDS.items()},
        "loading": _("Đang tải sơ đồ…"),
        "load_failed": _("Không tải được sơ đồ: {message}"),
        "no_diagram": _(
            "Định nghĩa này không có phần hình vẽ (BPMN DI) nên không hiển thị được. "
            "Hãy vẽ lại nó trong một sơ đồ mới, hoặc thêm phần hình vẽ bằng một công cụ vẽ BPMN."
        ),
        "modeler_missing": _("Không tải được thư viện bpmn-js. Quản trị viên cần chạy “make setup”."),
        "deploying": _("Đang triển khai…"),
        "deployed": _("Đã triển khai phiên bản {version} của quy trình «{key}»."),
        "unchanged": _("Nội dung không đổi: phiên bản {version} đã có sẵn."),
        "invalid": _("Máy chủ từ chối sơ đồ. Sửa các lỗi sau rồi triển khai lại:"),
        "element": _("Phần tử «{name}»"),
        "technical": _("Chi tiết kỹ thuật (tiếng Anh)"),
        "deploy_other": _("Phần tử này chưa hợp lệ."),
        "deploy_missing_form": _("Không có biểu mẫu «{0}» (forms/{0}.schema.json)."),
        "deploy_form_clash": _(
            "Biểu mẫu «{0}» khai báo biến do quy trình tự tính ({1}): hãy đổi tên trường của biểu mẫu."
        ),
        "deploy_compile": _("Biểu thức hoặc kịch bản của phần tử có lỗi cú pháp."),
        "deploy_expression": _(
            "Biểu thức không được hỗ trợ: chỉ dùng biến, hằng, phép so sánh, and/or/not và empty."
        ),
        "deploy_condition": _("Điều kiện của luồng phải viết bằng biểu thức ${...} hoặc Python."),
        "deploy_form_expression": _(
            "Biểu mẫu formKey phải là tên một biểu mẫu trong forms/, không phải biểu thức."
        ),
        "deploy_reference": _("Phần tử tham chiếu tới «{0}», nhưng quy trình không có phần tử mang mã này."),
        "deploy_topic": _(
            "Tác vụ bên ngoài cần một chủ đề (topic): chữ cái, chữ số và . _ -, tối đa 100 ký tự."
        ),
        "deploy_xml": _("Tệp không phải XML hợp lệ."),
        "deploy_one_process": _("Tệp phải có đúng một quy trình thực thi được."),
        "deploy_candidate_users": _(
            "Motcua giao công việc cho nhóm xử lý, hoặc cho một người được chỉ định; "
            "không dùng candidateUsers."
        ),
        "select_element": _("Chọn phần tử này trên sơ đồ"),
        "bad_id": _(
            "Mã quy trình phải bắt đầu bằng chữ cái hoặc “_” "
            "và chỉ gồm chữ cái không dấu, chữ số, “_”, “-”, “.”."
        ),
        "bad_element_id": _(
            "Mã phần tử phải bắt đầu bằng chữ cái hoặc “_” "
            "và chỉ gồm chữ cái không dấu, chữ số, “_”, “-”, “.”."
        ),
        "element_id_taken": _("Sơ đồ đã có phần tử mang mã «{id}»."),
        "name_required": _("Vui lòng nhập tên quy trình."),
        "key_taken": _("Đã có quy trình mang mã «{key}». Hãy mở quy trình đó để sửa, hoặc đặt một mã khác."),
        "no_process": _("Sơ đồ không có quy trình nào để đặt mã và tên."),
        "version_at": _("phiên bản {version} · triển khai lúc {at}"),
        "unsaved": _("Sơ đồ có thay đổi chưa triển khai."),
        "new_name": _("Quy trình mới"),
        "start_name": _("Bắt đầu"),
        "added": _("Thêm mới"),
        "removed": _("Đã xóa"),
        "changed": _("Thay đổi"),
        "no_differences": _("Hai phiên bản không có khác biệt về phần tử."),
        "what_type": _("loại"),
        "what_name": _("tên"),
        "what_incoming": _("luồng vào"),
        "what_outgoing": _("luồng ra"),
        "what_script": _("mã kịch bản"),
        "what_condition": _("điều kiện"),
        "what_properties": _("thuộc tính mở rộng"),
        "what_documentation": _("hướng dẫn"),
        "bad_allotment": _("Nhập một số không âm (số ngày làm việc), ví dụ 0.5 hoặc 2."),
        "bad_duration": _("Nhập khoảng thời gian theo ISO 8601, ví dụ P2D, PT4H hoặc P1DT12H."),
        "bad_status": _("Nhập một số nguyên từ 1 đến 10."),
        "bad_groups": _(
            "Tên nhóm chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-”; nhiều nhóm cách nhau bằng dấu phẩy."
        ),
        "bad_lane": _("Tên làn là tên một nhóm: chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-”."),
        "bad_unit": _("Mã đơn vị chỉ gồm chữ cái không dấu, chữ số, “.”, “_”, “-” (tối đa 64 ký tự)."),
        "bad_variable": _(
            "Tên biến phải bắt đầu bằng chữ cái hoặc “_” và chỉ gồm chữ cái không dấu, chữ số, “_”."
        ),
        "missing_form": _("Không có biểu mẫu «{key}» (forms/{key}.schema.json): máy chủ sẽ từ chối sơ đồ."),
        "missing_option": _("{key} (không tồn tại)"),
        "other_option": _("{value} (giá trị khác)"),
    }


@bp.get("/designer", endpoint="designer")
def designer_list():
    _designer()
    rows = [
        {
            "key": row["definition"].key,
            "name": row["definition"].name,
            "version": row["definition"].version,
            "versions": row["versions"],
            "deployed_at": display.local_datetime(row["definition"].deployed_at),
            "deployed_by": row["deployed_by"],
        }
        for row in definitions.overview()
    ]
    # Files without an executable process (descriptive pools only): stored, shown, never started.
    diagrams = [
        {
            "key": diagram.key,
            "name": diagram.name,
            "version": diagram.version,
            "processes": ", ".join(diagram.processes or ()),
            "deployed_at": display.local_datetime(diagram.deployed_at),
        }
        for diagram in definitions.diagrams()
    ]
    return render_template("ui/designer.html", rows=rows, diagrams=diagrams)


def _modeler_page(definition=None, xml_endpoint: str = "definitions.DefinitionXml", **extra):
    context = _modeler_context(definition, xml_endpoint)
    return render_template(
        "ui/designer_modeler.html",
        definition=definition,
        context=context,
        forms=context["forms"],
        documents=DOCUMENTS,
        **extra,
    )


def _modeler_context(definition=None, xml_endpoint: str = "definitions.DefinitionXml") -> dict:
    return {
        "key": definition.key if definition is not None else None,
        "version": definition.version if definition is not None else None,
        "xml_url": (
            url_for(xml_endpoint, key=definition.key, version=definition.version)
            if definition is not None
            else None
        ),
        "deploy_url": url_for("definitions.Definitions"),
        # The page of a deployed version: the script replaces KEY and 0 after a deploy.
        "page_url": url_for("ui.designer_edit", key="KEY", version=0),
        # ... or of a diagram, when what was deployed has no executable process.
        "diagram_page_url": url_for("ui.designer_diagram", key="KEY", version=0),
        "timezone": current_app.config["MOTCUA_TIMEZONE"],
        "existing_keys": [row["definition"].key for row in definitions.overview()],
        "forms": forms.keys(),
        "strings": _strings(),
    }


@bp.get("/designer/new", endpoint="designer_new")
def designer_new():
    _designer()
    return _modeler_page(None, versions=[])


@bp.get("/designer/<key>", endpoint="designer_edit")
def designer_edit(key):
    _designer()
    definition = definitions.get(key, _version_arg("version"))
    return _modeler_page(
        definition,
        versions=_versions(key),
        deployed_at=display.local_datetime(definition.deployed_at),
    )


@bp.get("/designer/diagrams/<key>", endpoint="designer_diagram")
def designer_diagram(key):
    """A diagram-only file (GET /api/v1/diagrams) in the modeler: shown, and deployable again."""
    _designer()
    diagram = definitions.diagram(key, _version_arg("version"))
    return _modeler_page(
        diagram,
        xml_endpoint="diagrams.DiagramXml",
        versions=[],
        deployed_at=display.local_datetime(diagram.deployed_at),
    )


@bp.get("/designer/<key>/compare", endpoint="designer_compare")
def designer_compare(key):
    _designer()
    latest = definitions.get(key)
    right = _version_arg("right") or latest.version
    left = _version_arg("left") or max(1, right - 1)
    left_definition, right_definition = definitions.get(key, left), definitions.get(key, right)
    context = {
        "left": {
            "version": left,
            "xml_url": url_for("definitions.DefinitionXml", key=key, version=left),
        },
        "right": {
            "version": right,
            "xml_url": url_for("definitions.DefinitionXml", key=key, version=right),
        },
        "strings": _strings(),
    }
    return render_template(
        "ui/designer_compare.html",
        definition=latest,
        left=left_definition,
        right=right_definition,
        versions=_versions(key),
        context=context,
    )
