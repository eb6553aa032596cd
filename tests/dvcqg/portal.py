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


def do(caller: Http, dossier: dict, element: str, variables: dict | None = None) -> dict:
    """Complete the open task `element` of the dossier's process as `caller`; the dossier after."""
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json()["items"]
    matching = [t for t in tasks if t["element_id"] == element]
    assert matching, f"no open {element}: {[t['element_id'] for t in tasks]}"
    response = caller.post(f"/api/v1/tasks/{matching[0]['id']}/complete", json={"variables": variables or {}})
    assert response.status_code == 200, response.text
    return caller.get(f"/api/v1/dossiers/{dossier['id']}").json()


def submit_on_portal(simulator_url: str, **spec) -> dict:
    """A citizen submits a dossier on the simulator's portal, which pushes it to Motcua."""
    body = {
        "procedure_code": "AG-LLTP-01",
        "applicant": {"name": "Lê Thị Hoa", "phone": "0913000222"},
        "components": [
            {"name": COMPONENT, "files": [{"filename": "to-khai.pdf", "content_base64": b64(PDF)}]}
        ],
        "fee": {"amount": 200000, "paid": False},
        **spec,
    }
    response = requests.post(f"{simulator_url}/dvc/portal/dossiers", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


def supplement_on_portal(simulator_url: str, portal_id: str, **spec) -> dict:
    body = {
        "note": "Bổ sung bản chụp CCCD",
        "components": [{"name": COMPONENT, "files": [{"filename": "cccd.png", "content_base64": b64(PNG)}]}],
        **spec,
    }
    response = requests.post(
        f"{simulator_url}/dvc/portal/dossiers/{portal_id}/supplements", json=body, timeout=60
    )
    assert response.status_code == 201, response.text
    return response.json()


def portal_statuses(simulator_url: str, portal_id: str) -> list[dict]:
    """The statuses the simulator's portal received from Motcua for a dossier, in order."""
    dossiers = requests.get(f"{simulator_url}/dvc/portal/dossiers", timeout=10).json()["dossiers"]
    found = [d for d in dossiers if d["portal_id"] == portal_id]
    return found[0]["statuses"] if found else []
