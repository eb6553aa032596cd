"""Reading the QR string printed on a Vietnamese chip ID card (căn cước công dân, CCCD).

The QR holds fields separated by "|": the 12-digit CCCD number, the old 9- or 12-digit
CMND number (may be empty), full name, date of birth (ddmmyyyy), sex, permanent address
and date of issue (ddmmyyyy). Some cards add fields after these; they are ignored.
"""

from __future__ import annotations

import re
from datetime import date


class CCCDInvalid(ValueError):
    """The string is not a readable CCCD QR payload; the message says why."""


_ID = re.compile(r"^\d{12}$")
_OLD_ID = re.compile(r"^(\d{9}|\d{12})?$")


def _date(value: str, what: str) -> str:
    if not re.fullmatch(r"\d{8}", value):
        raise CCCDInvalid(f"The {what} must be 8 digits ddmmyyyy, not {value!r}.")
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2])).isoformat()
    except ValueError:
        raise CCCDInvalid(f"The {what} {value!r} is not a real date.") from None


def parse(qr: str) -> dict:
    """Applicant fields from a CCCD QR string, or CCCDInvalid."""
    if not isinstance(qr, str) or not qr.strip():
        raise CCCDInvalid("The QR string is empty.")
    fields = [part.strip() for part in qr.strip().split("|")]
    if len(fields) < 7:
        raise CCCDInvalid(f"A CCCD QR string has 7 fields separated by '|'; this one has {len(fields)}.")
    id_number, old_id, name, birth, sex, address, issued = fields[:7]
    if not _ID.match(id_number):
        raise CCCDInvalid(f"The CCCD number must be 12 digits, not {id_number!r}.")
    if not _OLD_ID.match(old_id):
        raise CCCDInvalid(f"The old ID number must be 9 or 12 digits, not {old_id!r}.")
    if not name:
        raise CCCDInvalid("The name is empty.")
    if sex not in {"Nam", "Nữ"}:
        raise CCCDInvalid(f"The sex must be 'Nam' or 'Nữ', not {sex!r}.")
    return {
        "id_number": id_number,
        "old_id_number": old_id or None,
        "name": name,
        "birth_date": _date(birth, "date of birth"),
        "sex": sex,
        "address": address or None,
        "id_issued_on": _date(issued, "date of issue"),
    }
