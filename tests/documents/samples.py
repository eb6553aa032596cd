"""Sample contexts for the printable slips: one dossier (Mẫu 01-05) and one register (Mẫu 06)."""

from __future__ import annotations

from datetime import UTC, date, datetime

CODE = "000.17.22.H56-251126-0001"
APPLICANT = "Nguyễn Thị Ánh"


def _at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def make_dossier() -> dict:
    """A complete dossier context, as the service would build it."""
    return {
        "agency": {
            "name": "UBND TỈNH AN GIANG",
            "unit_name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
            "place": "An Giang",
        },
        "code": CODE,
        "procedure": {
            "code": "1.001234",
            "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            "field": "Lý lịch tư pháp",
            "processing_days": 10,
            "fee": "200.000 đồng",
        },
        "applicant": {
            "name": APPLICANT,
            "id_number": "089190000123",
            "address": "Số 12, đường Trần Hưng Đạo, phường Mỹ Xuyên, tỉnh An Giang",
            "phone": "0912 345 678",
            "email": "anh.nt@example.vn",
        },
        "channel": "counter",
        "components": [
            {"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "form": "Bản chính", "quantity": 1},
            {"name": "Bản chụp Căn cước công dân", "form": "Bản chụp", "quantity": 1},
        ],
        "sets": 1,
        "received_at": _at(26, 11, 2, 5),  # 09:05 in Vietnam
        "due_at": _at(10, 12, 9),  # 16:00 in Vietnam
        "new_due_at": _at(15, 12, 1, 30),
        "receiver": "Trần Văn Bình",
        "return_place": "Trung tâm Phục vụ hành chính công tỉnh",
        "register": {"book": "01", "number": 12},
        "supplement": {
            "items": [{"name": "Bản sao Giấy khai sinh", "form": "Bản sao chứng thực", "quantity": 1}],
            "reason": "Thiếu Giấy khai sinh",
            "requested_at": _at(27, 11, 3),
        },
        "refusal_reason": "Không thuộc thẩm quyền giải quyết của tỉnh",
        "apology_reason": "Chờ kết quả xác minh của Công an tỉnh",
        "processing_unit": "Sở Tư pháp",
        "coordinating_units": ["Công an tỉnh"],
        "steps": [
            {
                "from_unit": "Bộ phận Một cửa",
                "to_unit": "Phòng Hành chính tư pháp",
                "handed_at": _at(26, 11, 8),
                "giver": "Trần Văn Bình",
                "receiver": "Lê Thị Cúc",
                "verdict": "early",
                "note": None,
            },
            {
                "from_unit": "Phòng Hành chính tư pháp",
                "to_unit": "Công an tỉnh",
                "handed_at": _at(28, 11, 2, 30),
                "giver": "Lê Thị Cúc",
                "receiver": "Phạm Văn Dũng",
                "verdict": "on_time",
                "note": "Xác minh nhân thân",
            },
            {
                "from_unit": "Công an tỉnh",
                "to_unit": "Lãnh đạo Sở Tư pháp",
                "handed_at": _at(8, 12, 7, 45),
                "giver": "Phạm Văn Dũng",
                "receiver": "Võ Minh Hải",
                "verdict": "late",
                "note": None,
            },
        ],
        "contact": "Tổng đài 1022 · motcua.angiang.gov.vn",
        "generated_at": _at(9, 12, 1),
    }


def make_register(dossier: dict) -> dict:
    """A Mẫu 06 context: three dossiers of November 2025, the last two still open."""
    rows = []
    for index, name in enumerate((APPLICANT, "Công ty TNHH Đồng Tháp Mười", "Lâm Hoàng Yến"), start=1):
        rows.append(
            {
                "code": f"000.17.22.H56-2511{20 + index}-000{index}",
                "procedure": dossier["procedure"],
                "applicant": {"name": name, "address": "Long Xuyên, An Giang", "phone": f"090000000{index}"},
                "quantity": 1,
                "processing_unit": "Sở Tư pháp",
                "received_at": _at(20 + index, 11, 2),
                "due_at": _at(5 + index, 12, 9),
                "transferred_at": _at(20 + index, 11, 8) if index < 3 else None,
                "returned_at": _at(4, 12, 3) if index == 1 else None,
                "return_method": "post" if index == 1 else None,
                "note": None,
            }
        )
    return {
        "agency": dossier["agency"],
        "period_from": date(2025, 11, 1),
        "period_to": date(2025, 11, 30),
        "rows": rows,
        "generated_at": _at(1, 12, 2),
    }
