"""Bulk setup of the web worklist bench (`bench.py` section "ui"), run inside the app context.

    DATABASE_URL=... python bench/ui_setup.py --dossiers N --approvals M --assign K

On a migrated database with the demo users (`motcua demo`), `bpmn/dossier.bpmn`,
`bpmn/simple_approval.bpmn` and the catalogue (`data/procedures.json`), this makes, with the
service's own operations (what the API's views call, without HTTP):
- N dossiers received by the clerk (`dossiers.operations.receive`), round robin over the five
  procedures of the catalogue: each opens a "receive" task for group `reception` in the
  clerk's unit;
- M instances of `simple_approval` (`instances.operations.start`): each opens a "register"
  task for group `reception`;
- K of those tasks claimed by the clerk (`tasks.operations.claim`): the "mine" tab.
Then it spreads the due dates (one bulk UPDATE by primary key of tasks and dossiers, as if the
tasks had been opened over the last weeks): of every 20 tasks, 4 late (1 to 15 days ago), 3 due
within the next working hours, 11 early (2 to 20 days ahead), 2 without a due date; creation
times 0 to 30 days back. It commits every 500 items, as a CLI command would (this is a setup
step, not a request). Prints one JSON line: the counts and the seconds it took.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from service import create_app
from service.definitions import operations as definitions
from service.dossiers import operations as dossiers
from service.dossiers.models import Dossier
from service.extensions import db
from service.identity.models import User
from service.identity.operations import principal_for_user
from service.instances import operations as instances
from service.models_base import utcnow
from service.procedures.models import Procedure
from service.tasks import operations as tasks
from service.tasks.models import OPEN, Task

QR = "089190000{:03d}|352{:06d}|Nguyễn Thị Ánh|15071990|Nữ|Số 12 Trần Hưng Đạo, An Giang|01052021"
BATCH = 500


def due_for(i: int, now):
    """A due date of task number i: late, due soon, early or none, in a fixed pattern of 20."""
    slot = i % 20
    if slot < 4:
        return now - timedelta(days=1 + i % 15, hours=i % 7)
    if slot < 7:
        return now + timedelta(minutes=30 + (i * 37) % 300)
    if slot < 18:
        return now + timedelta(days=2 + i % 19, hours=i % 5)
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, required=True)
    parser.add_argument("--approvals", type=int, required=True)
    parser.add_argument("--assign", type=int, required=True)
    parser.add_argument("--user", default="clerk")
    opts = parser.parse_args()
    began = time.perf_counter()
    app = create_app()
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == opts.user))
        clerk = principal_for_user(user_id)  # what a request's authentication gives the views
        codes = db.session.scalars(sa.select(Procedure.code).order_by(Procedure.code)).all()
        for i in range(opts.dossiers):
            applicant = {"cccd_qr": QR.format(i % 1000, i), "phone": "0912345678"}
            components = [{"name": "Tờ khai", "form": "Bản chính", "quantity": 1}]
            dossiers.receive(
                codes[i % len(codes)],
                applicant=applicant,
                channel="counter",
                components=components,
                actor=clerk,
            )
            if i % BATCH == BATCH - 1:
                db.session.commit()
                db.session.expunge_all()
        db.session.commit()
        dossier_s = time.perf_counter() - began
        for i in range(opts.approvals):
            if i % BATCH == 0:  # the batches' expunge_all() detaches it
                approval = definitions.get("simple_approval")
            instances.start(
                approval,
                business_key=f"VB-{i:06d}",
                variables={},
                system_variables={"title": f"Văn bản số {i}"},  # set-up data, as if registered
                actor=clerk,
            )
            if i % BATCH == BATCH - 1:
                db.session.commit()
                db.session.expunge_all()
        db.session.commit()
        approval_s = time.perf_counter() - began - dossier_s
        now = utcnow()
        ids = db.session.scalars(sa.select(Task.id).where(Task.state == OPEN).order_by(Task.id)).all()
        rows = [
            {
                "id": task_id,
                "due_at": due_for(i, now),
                "created_at": now - timedelta(days=i % 30, minutes=i % 600),
            }
            for i, task_id in enumerate(ids)
        ]
        db.session.execute(sa.update(Task), rows)
        dossier_ids = db.session.scalars(sa.select(Dossier.id).order_by(Dossier.id)).all()
        db.session.execute(
            sa.update(Dossier),
            [
                {
                    "id": d,
                    "due_at": due_for(i, now),
                    "submitted_at": now - timedelta(days=i % 30, minutes=i % 600),
                }
                for i, d in enumerate(dossier_ids)
            ],
        )
        db.session.commit()
        for i, task_id in enumerate(ids[:: max(1, len(ids) // max(opts.assign, 1))][: opts.assign]):
            tasks.claim(task_id, actor=clerk)
            if i % BATCH == BATCH - 1:
                db.session.commit()
        db.session.commit()
        open_tasks = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.state == OPEN))
        assigned = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Task)
            .where(Task.state == OPEN, Task.assignee_id == clerk.id)
        )
        print(
            json.dumps(
                {
                    "open_tasks": open_tasks,
                    "assigned": assigned,
                    "dossiers": len(dossier_ids),
                    "dossier_s": round(dossier_s, 1),
                    "approval_s": round(approval_s, 1),
                    "total_s": round(time.perf_counter() - began, 1),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
