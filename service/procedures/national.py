"""The one mapping between the national TTHC database (CSDLQG về TTHC) and Motcua's catalogue.

A published procedure comes as the connector `csdl_tthc` answers it (its contract:
integrations/contracts/csdl_tthc.json; the field names are Motcua's spellings of the database's
public labels, docs/integrations.md). What the national database says of a procedure is public
and national: its name, level, field, components, statutory time and how its days count, fees,
legal basis and whether it is a full-online service; withdrawn (`BaiBo`) it takes no new dossier.
What the province decides stays local and is never overwritten by a localisation: the process
that handles it (`process_key`), the step allotments of its internal procedure and its handling
unit (the agency, `MaCoQuan`, is taken only when the procedure is new: an org unit with that
national code, else the code as it is).
"""

from __future__ import annotations

from collections.abc import Mapping

# The catalogue fields the national database decides (a localisation may change them).
NATIONAL_FIELDS = (
    "name",
    "level",
    "field",
    "components",
    "processing_days",
    "day_kind",
    "fee",
    "legal_basis",
    "full_online",
    "active",
)
PUBLISHED, WITHDRAWN = "CongBo", "BaiBo"
DAY_KINDS = {"NgayLamViec": "working", "Ngay": "calendar"}


def to_catalogue(record: Mapping, units: Mapping[str, str]) -> dict:
    """A national record as catalogue fields (`units`: org units' codes by their national code)."""
    agency = record.get("MaCoQuan")
    return {
        "code": record["MaTTHC"],
        "name": record["TenTTHC"],
        "level": record.get("CapThucHien"),
        "field": record.get("LinhVuc"),
        "components": [
            {
                "name": item["TenGiayTo"],
                "form": item.get("LoaiBan") or "Bản chính",
                "quantity": item.get("SoLuong", 1),
                "required": item.get("BatBuoc", True),
            }
            for item in record.get("ThanhPhanHoSo") or []
        ],
        "processing_days": record.get("ThoiHanGiaiQuyet"),
        "day_kind": DAY_KINDS.get(record.get("DonViThoiHan") or "NgayLamViec", "working"),
        "fee": record.get("PhiLePhi"),
        "legal_basis": list(record.get("CanCuPhapLy") or []),
        "full_online": bool(record.get("DVCTrucTuyenToanTrinh", False)),
        "active": record.get("TrangThai", PUBLISHED) == PUBLISHED,
        "unit_code": units.get(agency, agency) if agency else None,
    }


def records(answer: object) -> list[dict]:
    """The procedures of a `csdl_tthc/list_procedures` answer kept in an instance's variables."""
    listed = answer.get("DanhSach") if isinstance(answer, Mapping) else None
    return [r for r in listed or [] if isinstance(r, Mapping) and isinstance(r.get("MaTTHC"), str)]
