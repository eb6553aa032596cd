"""Helpers of the national portal's tests: files, an online dossier's JSON, an HTTP client."""

from __future__ import annotations

import base64

import requests

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COMPONENT = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def online_dossier(portal_id: str = "DVCQG-T-0001", **overrides) -> dict:
    body = {
        "portal_id": portal_id,
        "procedure_code": "AG-LLTP-01",
        "channel": 2,
        "applicant": {"name": "Trần Văn Bình", "id_number": "089190000999", "phone": "0912000111"},
        "components": [
            {
                "name": COMPONENT,
                "form": "Bản chính",
                "quantity": 1,
                "files": [{"filename": "to-khai.pdf", "content_base64": b64(PDF)}],
            }
        ],
        "fee": {"amount": 200000, "paid": True, "receipt": "BL-1"},
    }
    return {**body, **overrides}


class Http:
    """requests against the live server with a bearer token."""

    def __init__(self, base: str, token: str):
        self.base, self.session = base, requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.base + path, timeout=30, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kw)
