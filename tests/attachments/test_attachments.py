"""Digitised components through the API: upload on an open task, list, download; limits and refusals."""

import hashlib
import io
import uuid
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import receive_dossier
from tests.support import ROOT

# Two components received with the dossier: the test checks each upload names one of them.
COMPONENTS = [
    {"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "form": "Bản chính", "quantity": 1},
    {"name": "Bản sao Căn cước công dân", "form": "Bản sao", "quantity": 1},
]


def pdf_bytes(text: str = "Motcua") -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def upload(caller, task_id, data: bytes, filename: str, component=None, headers=None):
    form = {"file": (io.BytesIO(data), filename)}
    if component is not None:
        form["component"] = component
    return caller.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data=form,
        content_type="multipart/form-data",
        headers=headers or {},
    )


def stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(app) -> int:
    from service.attachments.models import Attachment
    from service.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))


@pytest.fixture
def people(app, admin, deploy_library, make_user):
    deploy_library("simple_approval.bpmn")
    clerk = make_user("clerk", groups=["reception"], password="mat-khau-1")
    instance = clerk.start("simple_approval", business_key="VB-1").json
    return {
        "app": app,
        "admin": admin,
        "clerk": clerk,
        "specialist": make_user("specialist", groups=["specialists"]),
        "instance": instance,
        "task_id": instance["tasks"][0]["id"],
    }


def test_a_clerk_uploads_a_pdf_and_a_png_kept_outside_the_package_with_their_checksums(people):
    app, clerk, task_id = people["app"], people["clerk"], people["task_id"]
    pdf, png = pdf_bytes(), png_bytes()

    first = upload(clerk, task_id, pdf, "Tờ khai.pdf")
    assert first.status_code == 201, first.json
    body = first.json
    assert body["filename"] == "Tờ khai.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(pdf)
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["uploaded_by"] == "clerk"
    assert body["task_id"] == task_id and body["instance_id"] == people["instance"]["id"]
    assert body["download_url"] == f"/api/v1/attachments/{body['id']}/content"

    second = upload(clerk, task_id, png, "scan.PNG")
    assert second.status_code == 201
    assert (second.json["content_type"], second.json["filename"]) == ("image/png", "scan.png")
    assert second.json["sha256"] == hashlib.sha256(png).hexdigest()

    files = stored_files(app)
    assert len(files) == 2
    assert {f.read_bytes() for f in files} == {pdf, png}
    for path in files:
        assert path.is_relative_to(Path(app.instance_path) / "uploads")
        assert not path.resolve().is_relative_to(ROOT / "service")
        assert "khai" not in path.name and "scan" not in path.name  # random keys, not the names
        assert path.stat().st_mode & 0o077 == 0  # readable by the service only

    listed = clerk.get(f"/api/v1/process-instances/{people['instance']['id']}/attachments")
    assert listed.status_code == 200
    assert [a["filename"] for a in listed.json["items"]] == ["Tờ khai.pdf", "scan.png"]

    history = clerk.get(f"/api/v1/process-instances/{people['instance']['id']}").json["history"]
    uploaded = [e for e in history if e["type"] == "attachment_uploaded"]
    assert [(e["actor"], e["task_id"], e["data"]["sha256"]) for e in uploaded] == [
        ("clerk", task_id, body["sha256"]),
        ("clerk", task_id, second.json["sha256"]),
    ]


def test_the_uploader_and_others_involved_download_the_same_bytes_with_safe_headers(people):
    clerk, admin, task_id = people["clerk"], people["admin"], people["task_id"]
    pdf = pdf_bytes("tai ve")
    created = upload(clerk, task_id, pdf, "Giấy tờ <x>|1.pdf").json

    for caller in (clerk, admin):
        response = caller.get(created["download_url"])
        assert response.status_code == 200
        assert response.data == pdf
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["ETag"] == f'"{hashlib.sha256(pdf).hexdigest()}"'
        assert "sandbox" in response.headers["Content-Security-Policy"]
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "\r" not in disposition and "\n" not in disposition
        assert "filename*=UTF-8''" in disposition

    assert created["filename"] == "Giấy tờ _x__1.pdf"
    again = clerk.get(created["download_url"], headers={"If-None-Match": f'"{created["sha256"]}"'})
    assert again.status_code == 304


def test_an_outsider_can_neither_upload_list_nor_download(people, make_user):
    clerk, specialist, task_id = people["clerk"], people["specialist"], people["task_id"]
    created = upload(clerk, task_id, pdf_bytes(), "a.pdf").json

    refused = upload(specialist, task_id, pdf_bytes(), "b.pdf")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"

    stranger = make_user("stranger", groups=["other"])
    for caller in (specialist, stranger):
        assert caller.get(created["download_url"]).status_code == 403
        assert caller.get(f"/api/v1/attachments/{created['id']}").status_code == 403
        listed = caller.get(f"/api/v1/process-instances/{people['instance']['id']}/attachments")
        assert listed.status_code == 403
    assert clerk.get(f"/api/v1/attachments/{uuid.uuid4()}/content").status_code == 404
    assert rows(people["app"]) == 1


def test_a_file_larger_than_the_limit_is_refused_with_413_and_nothing_is_left(people, client):
    app, clerk, task_id = people["app"], people["clerk"], people["task_id"]
    app.config["MOTCUA_UPLOAD_MAX_BYTES"] = 4096
    just_over = pdf_bytes() + b"%" + b"x" * 4096  # within the multipart allowance: streamed and cut off
    response = upload(clerk, task_id, just_over, "big.pdf")
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "file_too_large" and error["details"]["max_bytes"] == 4096
    assert "file" in error["details"]["fields"]

    far_over = b"%PDF-" + b"x" * (200 * 1024)  # refused by the request limit before it is read
    response = upload(clerk, task_id, far_over, "huge.pdf")
    assert response.status_code == 413
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert response.json["error"]["code"] == "payload_too_large"

    # The same with a browser session, whose CSRF check reads the form before the view.
    login = client.post("/api/v1/auth/login", json={"username": "clerk", "password": "mat-khau-1"})
    csrf = {"X-CSRFToken": login.json["csrf_token"]}
    response = client.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(far_over), "huge.pdf")},
        content_type="multipart/form-data",
        headers=csrf,
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"

    assert stored_files(app) == [] and rows(app) == 0
    assert upload(clerk, task_id, pdf_bytes(), "small.pdf").status_code == 201


def test_the_upload_limit_is_not_the_limit_of_other_routes(people):
    app, clerk = people["app"], people["clerk"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = upload(clerk, people["task_id"], pdf_bytes() + b"%" + b"x" * 4096, "ok.pdf")
    assert big.status_code == 201
    refused = clerk.post("/api/v1/process-instances", json={"definition_key": "x" * 2000})
    assert refused.status_code == 413


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"<!doctype html><script>alert(1)</script>", "x.pdf", "file_type_not_allowed"),
        (b"GIF89a\x01\x00\x01\x00", "anh.png", "file_type_not_allowed"),
        (b"%PDF", "short.pdf", "file_type_not_allowed"),
        (b"", "empty.pdf", "file_empty"),
    ],
)
def test_a_file_not_of_an_accepted_type_or_empty_is_refused_with_422(people, data, filename, code):
    app = people["app"]
    response = upload(people["clerk"], people["task_id"], data, filename)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == code
    assert "file" in error["details"]["fields"]
    if code == "file_type_not_allowed":
        assert "PDF, PNG, JPEG" in error["message"]
    assert stored_files(app) == [] and rows(app) == 0


def test_a_missing_file_field_is_a_422_naming_it(people):
    response = people["clerk"].post(
        f"/api/v1/tasks/{people['task_id']}/attachments",
        data={"component": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.json["error"]["details"]["fields"]


def test_quotes_line_breaks_and_separators_never_reach_the_stored_name():
    from service.attachments.operations import TYPES, safe_filename

    name = safe_filename('Giấy "tờ";\r\nX-Evil: 1\u202e.pdf', TYPES["pdf"])
    assert name == "Giấy _tờ__X-Evil_ 1.pdf"
    assert safe_filename("Ảnh chụp.JPEG", TYPES["jpeg"]) == "Ảnh chụp.jpeg"
    assert safe_filename(None, TYPES["png"]) == "tep.png"
    assert safe_filename("..\\..\\windows\\system.ini", TYPES["pdf"]) == "system.ini.pdf"
    assert safe_filename("C:\\scan\\.hidden.png", TYPES["png"]) == "hidden.png"


@pytest.mark.parametrize(
    ("filename", "stored"),
    [
        ("../../../../etc/passwd.pdf", "passwd.pdf"),
        ("/abs/path/..", "tep.pdf"),
        ("....pdf", "tep.pdf"),
        ("bao cao.html", "bao cao.html.pdf"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("x" * 300 + ".pdf", "x" * 190 + ".pdf"),
    ],
)
def test_a_path_in_the_filename_is_dropped_and_the_extension_follows_the_content(people, filename, stored):
    app = people["app"]
    response = upload(people["clerk"], people["task_id"], pdf_bytes(), filename)
    assert response.status_code == 201, response.json
    assert response.json["filename"] == stored
    (path,) = stored_files(app)
    assert path.parent.parent == Path(app.instance_path) / "uploads"
    assert len(path.name) == 32 and all(c in "0123456789abcdef" for c in path.name)


def test_uploads_need_an_open_task_of_a_running_instance(people):
    clerk, task_id = people["clerk"], people["task_id"]
    done = clerk.complete(task_id, {"title": "Công văn số 12", "sender": "Sở Tư pháp"})
    assert done.status_code == 200
    response = upload(clerk, task_id, pdf_bytes(), "late.pdf")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "task_not_open"
    assert upload(clerk, uuid.uuid4(), pdf_bytes(), "x.pdf").status_code == 404
    assert stored_files(people["app"]) == []


def test_the_file_of_a_transaction_that_does_not_commit_is_removed(people):
    from service.attachments import operations
    from service.extensions import db
    from service.identity.models import User
    from service.identity.operations import principal_for_user
    from service.uow import unit_of_work

    app = people["app"]
    with app.test_request_context(), app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "clerk"))
        actor = principal_for_user(user.id)
        task_id = uuid.UUID(people["task_id"])
        with pytest.raises(RuntimeError), unit_of_work():  # the unit of a request that failed
            operations.store(task_id, io.BytesIO(pdf_bytes()), "a.pdf", component=None, actor=actor)
            assert len(stored_files(app)) == 1
            raise RuntimeError("the request failed after the file was written")
        assert stored_files(app) == []
        with unit_of_work():
            operations.store(task_id, io.BytesIO(png_bytes()), "b.png", component=None, actor=actor)
    assert len(stored_files(app)) == 1 and rows(app) == 1


@pytest.fixture
def dossier(deploy_library, catalogue, make_officers):
    deploy_library("dossier.bpmn")
    clerk = make_officers("clerk").clerk
    created = receive_dossier(clerk, components=COMPONENTS)
    instance_id = created["process_instance_id"]
    task = clerk.get(f"/api/v1/tasks?process_instance_id={instance_id}").json["items"][0]
    return {"clerk": clerk, "dossier": created, "task_id": task["id"], "instance_id": instance_id}


def test_a_dossier_component_is_named_from_the_dossier_list(app, dossier):
    clerk, task_id = dossier["clerk"], dossier["task_id"]
    ok = upload(clerk, task_id, pdf_bytes(), "cccd.pdf", component=COMPONENTS[1]["name"])
    assert ok.status_code == 201, ok.json
    assert ok.json["component"] == COMPONENTS[1]["name"]
    assert ok.json["dossier_id"] == dossier["dossier"]["id"]
    without = upload(clerk, task_id, png_bytes(), "khac.png", component="")
    assert without.status_code == 201 and without.json["component"] is None

    wrong = upload(clerk, task_id, pdf_bytes(), "x.pdf", component="Giấy khai sinh")
    assert wrong.status_code == 422
    assert wrong.json["error"]["code"] == "unknown_component"
    assert "component" in wrong.json["error"]["details"]["fields"]
    assert wrong.json["error"]["details"]["allowed"] == [c["name"] for c in COMPONENTS]
    assert len(stored_files(app)) == 2 and rows(app) == 2


def test_jpeg_is_accepted_and_tiff_scans_only_when_configured(people):
    app, clerk, task_id = people["app"], people["clerk"], people["task_id"]
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"
    tiff = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
    accepted = upload(clerk, task_id, jpeg, "anh.jpg")
    assert accepted.status_code == 201
    assert (accepted.json["content_type"], accepted.json["filename"]) == ("image/jpeg", "anh.jpg")
    assert upload(clerk, task_id, tiff, "scan.tif").status_code == 422

    app.config["MOTCUA_UPLOAD_TYPES"] = "pdf,tiff"
    scan = upload(clerk, task_id, tiff, "scan.tif")
    assert (scan.status_code, scan.json["content_type"]) == (201, "image/tiff")
    refused = upload(clerk, task_id, jpeg, "anh.jpg")
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["allowed"] == ["pdf", "tiff"]
