"""The national TTHC database (CSDLQG về TTHC), as the simulator plays it.

It holds a catalogue of published procedures in the database's own shape (MaTTHC, TenTTHC,
CapThucHien, ThanhPhanHoSo, ThoiHanGiaiQuyet...; contract: integrations/contracts/csdl_tthc.json),
seeded on first use from the repository's data/procedures.json, every seeded procedure updated at
SEEDED_AT. Operations:
- `publish_decision`: records a province's publication decision and answers when it was made public;
- `list_procedures`: the published and withdrawn procedures changed after `TuNgay` (all if null),
  with the moment of the list (`ThoiDiem`), the next list's `TuNgay`.
A test or a demo changes the catalogue through a control endpoint:
  POST /_control/csdl_tthc/procedures {"action": "add" | "change" | "withdraw", "procedure": {...}}
(add: a whole record; change: MaTTHC and the fields that change; withdraw: MaTTHC), which stamps
the record's NgayCapNhat; GET /_control/csdl_tthc/procedures lists the catalogue and the decisions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

SEED = Path(__file__).resolve().parents[2] / "data" / "procedures.json"
SEEDED_AT = "2026-01-01T00:00:00+00:00"
ACTIONS = ("add", "change", "withdraw")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _record(procedure: dict) -> dict:
    """A procedure of data/procedures.json (Motcua's catalogue format) as the database holds it."""
    return {
        "MaTTHC": procedure["code"],
        "TenTTHC": procedure["name"],
        "TrangThai": "CongBo",
        "NgayCapNhat": SEEDED_AT,
        "CapThucHien": procedure.get("level"),
        "LinhVuc": procedure.get("field"),
        "ThanhPhanHoSo": [
            {
                "TenGiayTo": component["name"],
                "LoaiBan": component.get("form", "Bản chính"),
                "SoLuong": component.get("quantity", 1),
                "BatBuoc": component.get("required", True),
            }
            for component in procedure.get("components", [])
        ],
        "ThoiHanGiaiQuyet": procedure["processing_days"],
        "DonViThoiHan": "Ngay" if procedure.get("day_kind") == "calendar" else "NgayLamViec",
        "PhiLePhi": procedure.get("fee"),
        "MaCoQuan": procedure.get("unit_code"),
        "TenCoQuan": None,
        "CanCuPhapLy": [],
        "DVCTrucTuyenToanTrinh": bool(procedure.get("full_online", False)),
    }


def catalogue(state: dict) -> dict:
    """The system's catalogue by MaTTHC, seeded the first time (and after a reset)."""
    if "catalogue" not in state:
        seed = json.loads(SEED.read_text("utf-8"))
        state["catalogue"] = {p["code"]: _record(p) for p in seed}
        state["decisions"] = []
    return state["catalogue"]


def _after(moment: str, since: str | None) -> bool:
    return since is None or datetime.fromisoformat(moment) > datetime.fromisoformat(since)


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    procedures = catalogue(state)
    if operation == "publish_decision":
        at = _now()
        state["decisions"].append({**params, "NgayCongKhai": at})
        return {"ok": True, "reference": f"csdl_tthc-{number}", "NgayCongKhai": at}
    if operation == "list_procedures":
        since, decision = params.get("TuNgay"), params.get("SoQuyetDinh")
        listed = [
            record
            for _code, record in sorted(procedures.items())
            if _after(record["NgayCapNhat"], since)
            and (decision is None or record.get("SoQuyetDinh") == decision)
        ]
        return {"ok": True, "reference": f"csdl_tthc-{number}", "ThoiDiem": _now(), "DanhSach": listed}
    return {"ok": True, "reference": f"csdl_tthc-{number}", "echo": params}


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _change(simulator, request) -> Response:
    body = request.get_json(silent=True)
    if request.method == "GET":
        with simulator.lock:
            own = simulator.state.setdefault("systems", {}).setdefault("csdl_tthc", {})
            return _json({"procedures": catalogue(own), "decisions": own["decisions"]})
    if (
        not isinstance(body, dict)
        or body.get("action") not in ACTIONS
        or not isinstance(body.get("procedure"), dict)
    ):
        expected = 'expected {"action": "add" | "change" | "withdraw", "procedure": {"MaTTHC": ...}}'
        return _json({"error": expected}, 400)
    action, given = body["action"], body["procedure"]
    code = given.get("MaTTHC")
    if not isinstance(code, str) or not code:
        return _json({"error": "the procedure needs its MaTTHC"}, 400)
    with simulator.lock:
        own = simulator.state.setdefault("systems", {}).setdefault("csdl_tthc", {})
        procedures = catalogue(own)
        if action == "add":
            if code in procedures and procedures[code]["TrangThai"] == "CongBo":
                return _json({"error": f"{code} is already published"}, 409)
            record = {"TrangThai": "CongBo", "ThanhPhanHoSo": [], "CanCuPhapLy": [], **given}
        elif code not in procedures:
            return _json({"error": f"no procedure {code}"}, 404)
        elif action == "change":
            record = {**procedures[code], **given}
        else:
            record = {**procedures[code], "TrangThai": "BaiBo"}
        record["NgayCapNhat"] = _now()
        procedures[code] = record
        simulator._save()
    return _json({"ok": True, "procedure": record})


def routes(simulator) -> list:
    rule = Rule("/_control/csdl_tthc/procedures", endpoint="csdl_tthc_procedures", methods=["GET", "POST"])
    return [(rule, _change)]
