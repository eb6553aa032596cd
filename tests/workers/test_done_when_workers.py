"""Issue 14's "Done when" with real workers: PostgreSQL, Redis, `motcua serve`, a Celery worker and
beat, the simulators over real HTTP (the story itself: tests/integrations/test_done_when.py, which
plays it in process on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.dvcqg.portal import Http
from tests.integrations.remote import PAYMENT_SECRET, POST_SECRET
from tests.integrations.test_done_when import (
    PASSPHRASE,
    POST_ATTEMPTS,
    Story,
    _set_fee,
    _sign_keys,
    _tell_portal,
    play,
)
from tests.workers.stack import ROOT


def test_done_when_with_real_workers(make_stack, tmp_path):
    keys, roots = _sign_keys(tmp_path / "pki")
    stack = make_stack(
        broker="redis",
        extra_env={
            "MOTCUA_CONNECTOR_POST_ATTEMPTS": str(POST_ATTEMPTS),
            "MOTCUA_CONNECTOR_POST_BACKOFF": "0.5",
            "MOTCUA_SIGNING_KEYS_DIR": keys,
            "MOTCUA_SIGNING_TRUST_ROOTS": roots,
            "MOTCUA_SIGNING_PASSPHRASE": PASSPHRASE.decode(),
            "MOTCUA_PAYMENT_CALLBACK_SECRET": PAYMENT_SECRET,
            "MOTCUA_POST_CALLBACK_SECRET": POST_SECRET,
        },
    )
    stack.motcua("deploy", str(ROOT / "bpmn" / "dossier.bpmn"))
    stack.motcua("procedures", "load", str(ROOT / "data" / "procedures.json"))
    stack.motcua("demo")  # the demo's units, officers and their tokens, the portal's account
    tokens = dict(
        line.split("\t")
        for line in (stack.tmp_path / "instance" / "demo-tokens.txt").read_text().split("\n")
        if line
    )
    api = stack.serve()
    worker = stack.worker("worker1", "--pool=threads", concurrency=2)
    beat = stack.beat()
    stack.wait_ready(worker)
    _tell_portal(stack.simulator, api.base, tokens["dvcqg"])
    http = {
        name: Http(api.base, tokens[name])
        for name in ("admin", "clerk", "head", "specialist", "leader", "records")
    }
    _set_fee(http["admin"])

    def settle(predicate, what: str):
        return stack.wait_until(predicate, 120, what, watch=(worker, beat))

    play(Story(http=http, simulator=stack.simulator, settle=settle))
    # The worker did the remote calls: the payment request, the filing, the booking (after the retry).
    done = stack.rows("select element_id, state from service_calls order by id")
    assert [tuple(row) for row in done] == [
        ("request_fee_payment", "done"),
        ("file_result", "done"),
        ("book_delivery", "done"),
    ]
    stack.check_alive()
