"""Signed slips over real HTTP: Mẫu 01 signed with the receiving unit's key verifies as good
against the test authority; verification answers clearly for unsigned and garbage uploads; a
user without access to the dossier gets 403; a unit without a key gets 409."""

from __future__ import annotations

import io

import pytest

from service.documents import render_pdf
from tests.conftest import Caller
from tests.factories import receive_dossier
from tests.notifications.conftest import HttpClient
from tests.pki import Authority, write_keys

PASSPHRASE = b"mat-khau-chung-thu"


@pytest.fixture(scope="module")
def authority():
    return Authority.create()


@pytest.fixture
def office(dossier_office, authority, tmp_path, monkeypatch, make_user, live_server):
    """The one-stop centre (TTPVHCC, the receiving unit) holds a key; the Sở Tư pháp does not.
    Every call goes over real HTTP to a live server."""
    units = {"TTPVHCC": "Trung tâm Phục vụ hành chính công tỉnh An Giang"}
    keys, roots = write_keys(tmp_path / "pki", authority, units, PASSPHRASE)
    dossier_office.app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE_TTPVHCC", PASSPHRASE.decode())
    dossier_office.stranger = make_user("stranger", groups=["other"], unit="OTHER-UNIT")
    http = HttpClient(live_server)
    for name in ("clerk", "head", "stranger"):
        caller = getattr(dossier_office, name)
        setattr(dossier_office, name, Caller(http, caller.username, caller.token))
    return dossier_office


def verify(caller, data: bytes, name="phieu.pdf"):
    return caller.post(
        "/api/v1/signatures/verify",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def registered(office) -> dict:
    dossier = receive_dossier(office.clerk)
    tasks = office.clerk.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json
    done = office.clerk.complete(tasks["items"][0]["id"], {"reception_decision": "accept"})
    assert done.status_code == 200, done.json
    return office.clerk.get(f"/api/v1/dossiers/{dossier['id']}").json


def test_a_signed_mau_01_verifies_as_good(office):
    dossier = registered(office)
    url = f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?signed=true"
    signed = office.clerk.get(url)
    assert signed.status_code == 200, signed.json
    assert "-ky-so.pdf" in signed.headers["Content-Disposition"]
    checked = verify(office.head, signed.data)
    assert checked.status_code == 200, checked.json
    assert checked.json["signed"] is True and checked.json["good"] is True
    [signature] = checked.json["signatures"]
    assert signature["signer"] == "Trung tâm Phục vụ hành chính công tỉnh An Giang"
    assert signature["intact"] and signature["trusted"] and signature["signed_at"]

    tampered = signed.data.replace(b"/Producer", b"/Producex", 1)
    if tampered != signed.data:
        assert verify(office.head, tampered).json["good"] is False

    # the page's slip link signs the same way
    page = office.clerk.client.get(
        f"/ui/dossiers/{dossier['code']}/slips/mau-01?format=pdf&signed=true", headers=office.clerk.headers
    )
    assert page.status_code == 200 and page.mimetype == "application/pdf"


def test_unsigned_and_garbage_uploads_get_a_clear_answer(office):
    unsigned = verify(office.clerk, render_pdf("mau-01", {}))
    assert unsigned.status_code == 200
    assert unsigned.json == {"signed": False, "good": False, "signatures": []}
    garbage = verify(office.clerk, b"not a pdf at all", "x.pdf")
    assert garbage.status_code == 422 and garbage.json["error"]["code"] == "not_a_pdf"
    broken = verify(office.clerk, b"%PDF-1.7\n garbage", "x.pdf")
    assert broken.status_code == 422 and broken.json["error"]["code"] == "not_a_pdf"
    nothing = office.clerk.post("/api/v1/signatures/verify", data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422
    assert office.clerk.client.post("/api/v1/signatures/verify").status_code == 401


def test_no_access_is_403_and_no_key_is_409(office):
    dossier = registered(office)
    refused = office.stranger.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?signed=true")
    assert refused.status_code == 403
    # Mẫu 05 is the handling unit's (SO-TP): it has no key
    no_key = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-05?signed=true")
    assert no_key.status_code == 409 and no_key.json["error"]["code"] == "no_signing_key"
    assert no_key.json["error"]["details"]["unit"] == "SO-TP"
    html = office.clerk.get(f"/api/v1/dossiers/{dossier['code']}/documents/mau-01?signed=true&format=html")
    assert html.status_code == 422
