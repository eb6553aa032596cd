"""The templates as data: Vietnamese text with the values put in, cleaned, within the SMS limits."""

from __future__ import annotations

import json

import pytest

from service.notifications import mapping, templates


def test_values_are_cleaned_and_optional_parts_left_out():
    receipt = templates.load()["receipt"]
    values = {"code": "H56-1\n$pin", "appointment": "16:30 05/12/2026", "pin": "123456", "lookup_url": None}
    text = templates.render_sms(receipt, values, segments=3, unicode=True)
    assert text == "Hồ sơ H56-1 $pin đã được tiếp nhận. Hẹn trả kết quả: 16:30 05/12/2026. Mã PIN: 123456"


def test_a_long_text_is_held_to_its_segments_shortening_the_free_text_first():
    supplement = templates.load()["supplement"]
    values = {"code": "000.17.22.H56-241204-0001", "reason": "Thiếu giấy tờ " * 30}
    one = templates.render_sms(supplement, values, segments=1, unicode=True)
    three = templates.render_sms(supplement, values, segments=3, unicode=True)
    assert len(one) <= 70 and len(three) <= 201
    assert "000.17.22.H56-241204-0001" in three and three.endswith("Mời ông/bà liên hệ Bộ phận Một cửa.")
    plain = templates.render_sms(supplement, values, segments=2, unicode=False)
    assert len(plain) <= 306 and plain.startswith(
        "Ho so 000.17.22.H56-241204-0001 can bo sung: Thieu giay to"
    )


def test_zalo_data_takes_each_parameter_capped():
    data = templates.render_zalo(templates.load()["result"], {"code": "X-1", "procedure": "Thủ tục " * 40})
    assert data["ma_ho_so"] == "X-1" and len(data["thu_tuc"]) == templates.ZNS_VALUE_MAX


def test_phone_numbers_as_the_gateways_take_them():
    assert mapping.phone("0912 345 678") == mapping.phone("+84912345678") == "84912345678"
    assert mapping.phone("0212345678") is None and mapping.phone(None) is None


def test_a_template_naming_an_unknown_value_is_refused(tmp_path):
    path = tmp_path / "t.json"
    spec = {
        "x": {
            "title": "x",
            "audience": "applicant",
            "sms": "$secret",
            "zalo": {"template_id": "1", "params": {}},
        }
    }
    path.write_text(json.dumps(spec), "utf-8")
    with pytest.raises(templates.TemplateError, match="unknown values"):
        templates.load(str(path))
