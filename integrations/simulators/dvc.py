"""The national public-service portal (DVCQG) as the simulator plays it.

Motcua calls it (the connector `dvc`): `update_status` records a status of a dossier in the
order received (once per Idempotency-Key: the simulator's journal), a dossier submitted on the
portal by its portal id, another one by its code (its first push creates it); `sync_dossier` and
any other operation get the plain answer. The portal also calls Motcua: a citizen submits an online
dossier or a supplement here (the page `GET /dvc/portal`, or JSON), and the simulator pushes it to
`<motcua-url>/api/v1/integrations/dvcqg/...` with the portal's token (`--motcua-url`,
`--motcua-token`, or MOTCUA_URL / MOTCUA_DVCQG_TOKEN, or the line "dvcqg" of `--motcua-token-file`:
`make simulators` names the demo's instance/demo-tokens.txt), the files as base64, an Idempotency-Key
per delivery. `"deliver": "twice"` sends the same delivery twice (a portal that retries).

    POST /dvc/portal/dossiers  {"procedure_code", "applicant": {...}, "components": [{"name",
         "files": [{"filename", "content_base64"}]}], "fee": {...}, "deliver": "once"|"twice"}
    POST /dvc/portal/dossiers/<portal_id>/supplements  {"note", "components", "deliver"}
    GET  /dvc/portal/dossiers  every dossier with the statuses Motcua pushed, in order (those not
         submitted here with "portal_id": null, keyed by their code)
    POST /dvc/portal/config  {"motcua_url", "motcua_token"}: where and as whom to push (a simulator
         started before Motcua, e.g. by `make simulators`, is told afterwards)
"""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import requests
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import System

MOTCUA_PATH = "/api/v1/integrations/dvcqg/dossiers"


def answer(operation: str, params: dict, state: dict, number: int) -> dict:
    if operation == "update_status":
        # A portal dossier by its portal id; another (counter, post) by its code, created by the
        # first push of it (which carries the procedure's code and the applicant's name).
        portal_id = params.get("portal_id")
        dossier = _dossier(state, portal_id, code=params.get("code"))
        if params.get("code"):
            dossier["code"] = params["code"]
        for field in ("procedure_code", "applicant_name", "channel", "received_at", "due_at"):
            if params.get(field) is not None:
                dossier["applicant" if field == "applicant_name" else field] = params[field]
        dossier["statuses"].append(
            {
                "status": params["status"],
                "name": params.get("status_name"),
                "code": params.get("code"),
                "sequence": params.get("sequence"),
                "changed_at": params.get("changed_at"),
                "received_at": _now(),
            }
        )
        return {"ok": True, "reference": f"dvc-{number}"}
    return {"ok": True, "reference": f"dvc-{number}", "echo": params}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dossier(state: dict, portal_id: str | None, *, code: str | None = None) -> dict:
    """The dossier kept under its portal id, or, not submitted here (`portal_id` None), its code."""
    dossiers = state.setdefault("dossiers", {})
    key = portal_id or code
    return dossiers.setdefault(
        key,
        {"portal_id": portal_id, "code": code, "statuses": [], "deliveries": [], "supplements": []},
    )


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _own(simulator) -> dict:
    return simulator.state.setdefault("systems", {}).setdefault("dvc", {})


def _next(simulator, counter: str) -> int:
    with simulator.lock:
        own = _own(simulator)
        own[counter] = own.get(counter, 0) + 1
        simulator._save()
        return own[counter]


def _demo_token(path: str | None) -> str:
    """The portal's token in a demo's tokens file (`motcua demo` writes it after the simulator may
    have started, so it is read at each push); "" when there is none."""
    if not path:
        return ""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return next((line.split("\t", 1)[1] for line in lines if line.startswith("dvcqg\t")), "")


def _push(simulator, path: str, body: dict, key: str, times: int) -> list[dict]:
    """POST the delivery to Motcua `times` times (the same Idempotency-Key); the answers."""
    base = simulator.options.get("motcua_url") or os.environ.get("MOTCUA_URL", "")
    token = (
        simulator.options.get("motcua_token")
        or os.environ.get("MOTCUA_DVCQG_TOKEN", "")
        or _demo_token(simulator.options.get("motcua_token_file"))
    )
    if not base:
        return [{"status": None, "error": "no --motcua-url: the delivery was not sent"}]
    answers = []
    for _ in range(times):
        try:
            with requests.Session() as http:
                http.trust_env = False
                response = http.post(
                    base.rstrip("/") + path,
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                    timeout=60,
                )
            try:
                data = response.json()
            except ValueError:
                data = response.text[:500]
            answers.append({"status": response.status_code, "body": data})
        except requests.RequestException as exc:
            answers.append({"status": None, "error": str(exc)[:300]})
    return answers


def submit(simulator, request: Request) -> Response:
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict) or not isinstance(spec.get("procedure_code"), str):
        return _json(
            {"error": 'expected {"procedure_code": ..., "applicant": {...}, "components": [...]}'}, 400
        )
    portal_id = spec.get("portal_id") or f"DVCQG-{_next(simulator, 'dossier_counter'):06d}"
    body = {
        "portal_id": portal_id,
        "procedure_code": spec["procedure_code"],
        "channel": 2,
        "applicant": spec.get("applicant") or {},
        "components": spec.get("components") or [],
        "fee": spec.get("fee"),
        "submitted_at": _now(),
    }
    answers = _push(simulator, MOTCUA_PATH, body, f"dvcqg-dossier-{portal_id}", _times(spec))
    with simulator.lock:
        dossier = _dossier(_own(simulator), portal_id)
        dossier["procedure_code"] = spec["procedure_code"]
        dossier["applicant"] = (spec.get("applicant") or {}).get("name")
        dossier["deliveries"].extend(answers)
        simulator._save()
    return _json({"portal_id": portal_id, "answers": answers}, 201)


def supplement(simulator, request: Request, portal_id: str) -> Response:
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict):
        return _json({"error": 'expected {"note": ..., "components": [...]}'}, 400)
    supplement_id = spec.get("supplement_id") or f"BS-{_next(simulator, 'supplement_counter'):06d}"
    body = {
        "supplement_id": supplement_id,
        "note": spec.get("note") or "",
        "components": spec.get("components") or [],
    }
    path = f"{MOTCUA_PATH}/{portal_id}/supplements"
    answers = _push(simulator, path, body, f"dvcqg-supplement-{portal_id}-{supplement_id}", _times(spec))
    with simulator.lock:
        _dossier(_own(simulator), portal_id)["supplements"].append(
            {"supplement_id": supplement_id, "answers": answers}
        )
        simulator._save()
    return _json({"portal_id": portal_id, "supplement_id": supplement_id, "answers": answers}, 201)


def _times(spec: dict) -> int:
    return 2 if spec.get("deliver") == "twice" else 1


def dossiers(simulator, request: Request) -> Response:
    with simulator.lock:
        return _json({"dossiers": list(_own(simulator).get("dossiers", {}).values())})


def page(simulator, request: Request) -> Response:
    """The citizen's page: submit a dossier (a file per component) or a supplement, and see the
    statuses Motcua pushed."""
    with simulator.lock:
        items = list(_own(simulator).get("dossiers", {}).values())
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(d["portal_id"] or "—"),
            html.escape(d.get("code") or "—"),
            html.escape(d.get("applicant") or ""),
            " → ".join(f"{s['status']} {html.escape(s.get('name') or '')}" for s in d["statuses"]) or "—",
        )
        for d in items
    )
    return Response(PAGE.format(rows=rows), mimetype="text/html")


def page_submit(simulator, request: Request) -> Response:
    """The page's forms (multipart): turned into the JSON deliveries above."""
    form, upload = request.form, request.files.get("file")
    components = []
    if upload is not None and upload.filename:
        content = base64.b64encode(upload.read()).decode()
        components = [
            {
                "name": form.get("component") or "Tờ khai",
                "files": [{"filename": upload.filename, "content_base64": content}],
            }
        ]
    if form.get("portal_id"):
        spec = {"note": form.get("note", ""), "components": components}
        inner = Request.from_values(json=spec, method="POST")
        supplement(simulator, inner, form["portal_id"])
    else:
        spec = {
            "procedure_code": form.get("procedure_code", ""),
            "applicant": {k: form[k] for k in ("name", "phone") if form.get(k)},
            "components": components,
            "fee": {"amount": int(form.get("fee") or 0), "paid": form.get("paid") == "on"},
        }
        submit(simulator, Request.from_values(json=spec, method="POST"))
    return Response(status=303, headers={"Location": "/dvc/portal"})


PAGE = """<!doctype html><html lang="vi"><meta charset="utf-8"><title>Cổng DVC quốc gia (mô phỏng)</title>
<h1>Cổng Dịch vụ công quốc gia (mô phỏng)</h1>
<h2>Nộp hồ sơ trực tuyến</h2>
<form method="post" action="/dvc/portal/submit" enctype="multipart/form-data">
<label>Mã thủ tục <input name="procedure_code" value="AG-LLTP-01" required></label>
<label>Họ tên <input name="name" required></label> <label>Điện thoại <input name="phone"></label>
<label>Thành phần <input name="component" value="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"></label>
<label>Tệp <input type="file" name="file"></label>
<label>Lệ phí <input name="fee" value="0"></label> <label>Đã nộp <input type="checkbox" name="paid"></label>
<button>Nộp hồ sơ</button></form>
<h2>Nộp bổ sung</h2>
<form method="post" action="/dvc/portal/submit" enctype="multipart/form-data">
<label>Mã hồ sơ trên Cổng <input name="portal_id" required></label>
<label>Ghi chú <input name="note"></label>
<label>Thành phần <input name="component" value="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"></label>
<label>Tệp <input type="file" name="file"></label><button>Nộp bổ sung</button></form>
<h2>Hồ sơ và trạng thái nhận từ Motcua</h2>
<table border="1"><tr><th>Mã trên Cổng</th><th>Mã hồ sơ</th><th>Người nộp</th>
<th>Trạng thái (theo thứ tự)</th></tr>{rows}</table>
</html>"""


def configure(simulator, request: Request) -> Response:
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict) or not all(
        isinstance(spec.get(k, ""), str) for k in ("motcua_url", "motcua_token")
    ):
        return _json({"error": 'expected {"motcua_url": ..., "motcua_token": ...}'}, 400)
    simulator.options.update({k: spec[k] for k in ("motcua_url", "motcua_token") if k in spec})
    return _json({"ok": True, "motcua_url": simulator.options.get("motcua_url")})


def routes(simulator) -> list:
    return [
        (Rule("/dvc/portal/config", endpoint="dvc_config", methods=["POST"]), configure),
        (Rule("/dvc/portal", endpoint="dvc_page", methods=["GET"]), page),
        (Rule("/dvc/portal/submit", endpoint="dvc_page_submit", methods=["POST"]), page_submit),
        (Rule("/dvc/portal/dossiers", endpoint="dvc_dossiers", methods=["GET"]), dossiers),
        (Rule("/dvc/portal/dossiers", endpoint="dvc_submit", methods=["POST"]), submit),
        (
            Rule("/dvc/portal/dossiers/<portal_id>/supplements", endpoint="dvc_supplement", methods=["POST"]),
            supplement,
        ),
    ]


SYSTEM = System("dvc", answer, routes)
