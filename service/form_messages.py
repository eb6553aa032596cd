"""What a form's refusal says (service/forms.py), in the caller's language: the words of every JSON
Schema keyword the forms use, a generic sentence for the others.

The source strings are Vietnamese and their English is in the pages' catalogue
(service/ui/translations/en). The pages' scripts call the API with the session cookie: they get the
session's language (Vietnamese unless the person chose English). Any other caller (a token, HTTP
Basic, no request) gets English, the API's language. The shape of the error never changes.
"""

from __future__ import annotations

import json
from contextlib import nullcontext

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

API_LANGUAGE = "en"

# JSON Schema type -> its words (in the messages of the `type` keyword).
TYPES = {
    "string": _l("văn bản"),
    "integer": _l("số nguyên"),
    "number": _l("số"),
    "boolean": _l("có/không"),
    "array": _l("danh sách"),
    "object": _l("nhóm trường"),
    "null": _l("để trống"),
}

# What refuses the data (check_submission's `what`), in the messages.
WHATS = {
    "task": _l("công việc"),
    "process start": _l("bước bắt đầu quy trình"),
    "external task": _l("công việc bên ngoài"),
}


def for_pages() -> bool:
    """Whether this request comes from the pages (the session cookie, no Authorization header)."""
    return has_request_context() and "Authorization" not in request.headers


def language():
    """A context in which gettext speaks the caller's language (see the module's docstring)."""
    if "babel" not in current_app.extensions:
        return nullcontext()
    return nullcontext() if for_pages() else force_locale(API_LANGUAGE)


def _shown(value) -> str:
    """A value as a person reads it in a message: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _duplicate(items) -> object:
    seen: list = []
    for item in items if isinstance(items, list) else ():
        if item in seen:
            return item
        seen.append(item)
    return None


def _type_words(expected) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return ", ".join(str(TYPES.get(name, name)) for name in names)


def explain(error) -> str:
    """One jsonschema ValidationError in the caller's language (`required` is said by `required`)."""
    keyword, limit, value = error.validator, error.validator_value, error.instance
    with language():
        if keyword == "minLength":
            if limit == 1:
                return _("Trường này không được để trống.")
            return _("Cần ít nhất %(limit)d ký tự.", limit=limit)
        if keyword == "maxLength":
            return _("Tối đa %(limit)d ký tự.", limit=limit)
        if keyword == "minItems":
            return _("Cần ít nhất %(limit)d mục.", limit=limit)
        if keyword == "maxItems":
            return _("Tối đa %(limit)d mục.", limit=limit)
        if keyword == "uniqueItems":
            return _("Mục «%(item)s» bị lặp lại.", item=_shown(_duplicate(value)))
        if keyword == "minimum":
            return _("Giá trị phải lớn hơn hoặc bằng %(limit)s.", limit=limit)
        if keyword == "maximum":
            return _("Giá trị phải nhỏ hơn hoặc bằng %(limit)s.", limit=limit)
        if keyword == "exclusiveMinimum":
            return _("Giá trị phải lớn hơn %(limit)s.", limit=limit)
        if keyword == "exclusiveMaximum":
            return _("Giá trị phải nhỏ hơn %(limit)s.", limit=limit)
        if keyword in ("enum", "const"):
            return _("Giá trị «%(value)s» không nằm trong các lựa chọn cho phép.", value=_shown(value))
        if keyword == "type":
            return _("Kiểu dữ liệu không đúng: cần %(type)s.", type=_type_words(limit))
        if keyword == "pattern":
            return _("Giá trị «%(value)s» không đúng định dạng.", value=_shown(value))
        if keyword == "format" and limit == "username":
            return _("Không có người dùng đang hoạt động «%(value)s».", value=_shown(value))
        if keyword == "format" and limit == "date":
            return _(
                "Ngày «%(value)s» không hợp lệ: cần một ngày có thật, dạng năm-tháng-ngày.",
                value=_shown(value),
            )
        if keyword == "format" and limit == "org_unit":
            return _("Không có đơn vị có mã «%(value)s».", value=_shown(value))
        if keyword == "format":
            return _(
                "Giá trị «%(value)s» không đúng định dạng %(format)s.", value=_shown(value), format=limit
            )
        if keyword in ("additionalProperties", "unevaluatedProperties"):
            return _("Biểu mẫu không có trường này.")
        return _("Giá trị không hợp lệ.")


def required() -> str:
    with language():
        return _("Trường này là bắt buộc.")


def not_a_field(form_key: str) -> str:
    with language():
        return _("Không phải một trường của biểu mẫu “%(form)s”.", form=form_key)


def _what(what: str) -> str:
    return str(WHATS.get(what, what))


def no_form(what: str) -> str:
    with language():
        return _("Không nhận dữ liệu: %(what)s này không có biểu mẫu.", what=_what(what))


def not_accepted(what: str, fields) -> str:
    with language():
        return _(
            "Không nhận các trường sau cho %(what)s: %(fields)s.",
            what=_what(what),
            fields=", ".join(sorted(fields)),
        )


def protected() -> str:
    with language():
        return _("Do dịch vụ hoặc quy trình đặt; người gọi không đặt được.")


def form_invalid(fields) -> str:
    with language():
        return _(
            "Dữ liệu gửi không khớp biểu mẫu của công việc: %(fields)s.", fields=", ".join(sorted(fields))
        )
