"""Reading a chip ID card's QR string."""

import pytest

from service.dossiers.cccd import CCCDInvalid, parse

ADDRESS = "Số 12 Trần Hưng Đạo, phường Mỹ Xuyên, An Giang"
QR = f"089190000123|352123456|Nguyễn Thị Ánh|15071990|Nữ|{ADDRESS}|01052021"


def test_a_well_formed_qr_fills_the_applicant():
    assert parse(QR) == {
        "id_number": "089190000123",
        "old_id_number": "352123456",
        "name": "Nguyễn Thị Ánh",
        "birth_date": "1990-07-15",
        "sex": "Nữ",
        "address": ADDRESS,
        "id_issued_on": "2021-05-01",
    }


def test_an_empty_old_id_and_extra_trailing_fields_are_accepted():
    data = parse("089190000123||Trần Văn Bình|01011980|Nam|An Giang|02022022|extra|more")
    assert data["old_id_number"] is None
    assert data["name"] == "Trần Văn Bình"


@pytest.mark.parametrize(
    ("qr", "message"),
    [
        ("", "empty"),
        ("089190000123|352123456|Nguyễn Thị Ánh", "7 fields"),
        ("08919000012|352123456|A|15071990|Nữ|X|01052021", "12 digits"),
        ("089190000123|35212|A|15071990|Nữ|X|01052021", "old ID"),
        ("089190000123|352123456||15071990|Nữ|X|01052021", "name"),
        ("089190000123|352123456|A|1507199|Nữ|X|01052021", "ddmmyyyy"),
        ("089190000123|352123456|A|31021990|Nữ|X|01052021", "not a real date"),
        ("089190000123|352123456|A|15071990|F|X|01052021", "Nam"),
    ],
)
def test_malformed_strings_get_a_clear_error(qr, message):
    with pytest.raises(CCCDInvalid, match=message):
        parse(qr)
