"""The national portal's tests: the dossier office (tests/factories.py), the portal's account and
token (scope integrations:dvcqg, in the one-stop centre that receives online dossiers), Motcua
served over real HTTP and the simulator's portal pointing at it, Motcua's `dvc` connector
pointing at the simulator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.dvcqg.portal import Http
from tests.integrations.simulation import SimulatorProcess


@pytest.fixture
def portal(app, dossier_office, live_server, tmp_path):
    """SimpleNamespace(office, http (the portal's token), clerk_http, simulator, base)."""
    from service.extensions import db
    from service.identity.operations import create_token, create_user

    with app.app_context():
        user = create_user("dvcqg", "password-1", groups=[], unit="TTPVHCC")
        token = create_token(user, name="DVCQG", scopes=["integrations:dvcqg"])
        db.session.commit()
    simulator = SimulatorProcess(
        tmp_path / "simulator.log", "--motcua-url", live_server, "--motcua-token", token
    )
    app.extensions["motcua.connectors"] = simulator.connectors()
    try:
        yield SimpleNamespace(
            app=app,
            office=dossier_office,
            http=Http(live_server, token),
            clerk=Http(live_server, dossier_office.clerk.token),
            admin=Http(live_server, dossier_office.admin.token),
            base=live_server,
            simulator=simulator,
            token=token,
        )
    finally:
        simulator.stop()
