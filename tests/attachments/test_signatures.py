"""Signed results (issue 14, "Signed results"): the records officer signs the result PDF with the
unit's key, every uploaded PDF's signatures are checked (who, when, intact, trusted), and the
result step's `e_result_signed` is what the service found, never what a caller says."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.documents import render_pdf, signing
from tests.attachments.test_attachments import upload
from tests.factories import receive_dossier
from tests.pki import Authority, write_keys

PASSPHRASE = b"mat-khau-chung-thu"


@pytest.fixture(scope="module")
def authority():
    return Authority.create()


@pytest.fixture
def office(dossier_office, authority, tmp_path, monkeypatch):
    """The dossier office with a signing key for the Sở Tư pháp (SO-TP) and the test authority
    trusted; the one-stop centre (TTPVHCC) has no key."""
    keys, roots = write_keys(tmp_path / "pki", authority, {"SO-TP": "Sở Tư pháp tỉnh An Giang"}, PASSPHRASE)
    dossier_office.app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE_SO_TP", PASSPHRASE.decode())
    return dossier_office


def _task(caller, dossier, element):
    tasks = caller.get(f"/api/v1/tasks?process_instance_id={dossier['process_instance_id']}").json["items"]
    return next(t for t in tasks if t["element_id"] == element)


def _do(caller, dossier, element, variables):
    response = caller.complete(_task(caller, dossier, element)["id"], variables)
    assert response.status_code == 200, response.json
    return response


def _at_issue_result(office):
    dossier = receive_dossier(office.clerk)
    for element, caller, variables in (
        ("receive", office.clerk, {"reception_decision": "accept"}),
        ("digitise", office.clerk, {"all_components_digitised": True}),
        ("assign", office.head, {"specialist": "specialist"}),
        (
            "appraise",
            office.specialist,
            {"appraisal_decision": "propose_approve", "appraisal_opinion": "Đạt."},
        ),
        ("approve", office.leader, {"approval_decision": "approve"}),
    ):
        _do(caller, dossier, element, variables)
    return dossier, _task(office.records, dossier, "issue_result")


RESULT = {"result_number": "12/PLLTP", "issued_on": "2026-12-04"}


def _result_pdf() -> bytes:
    return render_pdf("mau-01", {})  # any PDF the unit issues


def _variables(office, dossier):
    return office.admin.get(f"/api/v1/process-instances/{dossier['process_instance_id']}").json["variables"]


def test_the_result_signed_with_the_units_key_makes_e_result_signed_a_checked_fact(office):
    dossier, task = _at_issue_result(office)
    uploaded = upload(office.records, task["id"], _result_pdf(), "ket-qua.pdf")
    assert uploaded.status_code == 201, uploaded.json
    assert uploaded.json["signatures"] == []
    signed = office.records.post(f"/api/v1/attachments/{uploaded.json['id']}/signature")
    assert signed.status_code == 201, signed.json
    assert signed.json["filename"] == "ket-qua-ky-so.pdf"
    (check,) = signed.json["signatures"]
    assert check["signer"] == "Sở Tư pháp tỉnh An Giang"
    assert check["good"] and check["intact"] and check["trusted"] and check["whole_file"]
    # The bytes served are the signed file: they verify on their own.
    content = office.records.get(signed.json["download_url"]).data
    assert signing.verify(content, signing.trust_roots(_roots(office)))[0].good
    _do(office.records, dossier, "issue_result", RESULT)
    assert _variables(office, dossier)["e_result_signed"] is True


def _roots(office) -> bytes:
    return Path(office.app.config["MOTCUA_SIGNING_TRUST_ROOTS"]).read_bytes()


def test_without_a_good_signature_the_result_is_not_counted_as_signed(office):
    dossier, task = _at_issue_result(office)
    upload(office.records, task["id"], _result_pdf(), "ket-qua.pdf")
    _do(office.records, dossier, "issue_result", RESULT)
    assert _variables(office, dossier)["e_result_signed"] is False


def test_a_caller_cannot_say_the_result_is_signed(office):
    _dossier, task = _at_issue_result(office)
    forged = office.records.complete(task["id"], {**RESULT, "e_result_signed": True})
    assert forged.status_code == 422, forged.json


def test_uploaded_pdfs_show_who_signed_and_whether_to_trust_it(office):
    dossier, task = _at_issue_result(office)
    stranger = signing.load_signer(Authority.create("Untrusted CA").unit_p12("Công ty X", "X", b"x"), b"x")
    foreign = signing.sign(_result_pdf(), stranger, reason="r", location="l")
    answer = upload(office.records, task["id"], foreign, "ngoai.pdf").json
    (check,) = answer["signatures"]
    assert (check["signer"], check["intact"], check["trusted"], check["good"]) == (
        "Công ty X",
        True,
        False,
        False,
    )
    plain = upload(office.records, task["id"], _result_pdf(), "a.pdf").json
    ours = office.records.post(f"/api/v1/attachments/{plain['id']}/signature").json
    signed = office.records.get(ours["download_url"]).data
    cut = signed.index(b"/Producer") if b"/Producer" in signed else 300
    tampered = signed[:cut] + bytes([signed[cut] ^ 1]) + signed[cut + 1 :]
    (broken,) = upload(office.records, task["id"], tampered, "sua.pdf").json["signatures"]
    assert broken["intact"] is False and broken["good"] is False
    _do(office.records, dossier, "issue_result", RESULT)
    assert _variables(office, dossier)["e_result_signed"] is True  # the good one counts


def test_signing_is_refused_without_a_key_for_images_and_for_others(office, make_user):
    _dossier, task = _at_issue_result(office)
    image = upload(office.records, task["id"], b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "anh.png").json
    assert office.records.post(f"/api/v1/attachments/{image['id']}/signature").status_code == 422
    pdf = upload(office.records, task["id"], _result_pdf(), "ket-qua.pdf").json
    outsider = make_user("outsider", groups=["records"], unit="OTHER")
    assert outsider.post(f"/api/v1/attachments/{pdf['id']}/signature").status_code == 403
    office.app.config["MOTCUA_SIGNING_KEYS_DIR"] = str(office.app.instance_path)  # no key there
    office.app.extensions.pop("motcua.signing", None)
    refused = office.records.post(f"/api/v1/attachments/{pdf['id']}/signature")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_signing_key"


def test_a_result_steps_pdfs_are_found_through_an_index(app):
    """The result step's look-up of its PDFs (`result_signed`, at every result step's completion)
    goes through the instance's index, never a scan of every attachment of the province: the
    planner, told not to scan while an index serves, keeps no sequential scan of attachments."""
    import sqlalchemy as sa

    from service.attachments.signing import _TASK_PDFS
    from service.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plan is PostgreSQL's (the PostgreSQL pass checks it)")
        with db.engine.connect() as conn:
            conn.execute(sa.text("SET enable_seqscan = off"))
            compiled = _TASK_PDFS.compile(dialect=conn.dialect)
            params = dict(compiled.params)
            params.update(instance_id="00000000-0000-0000-0000-000000000001")
            params.update(task_id="00000000-0000-0000-0000-000000000002")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), params).all())
    assert "Seq Scan on attachments" not in plan, plan
    assert "ix_attachments_instance_id_uploaded_at" in plan, plan
