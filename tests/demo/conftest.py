"""The office the demo's history and the generator need: the dossier process, the catalogue and the
`motcua demo` users."""

import pytest


@pytest.fixture
def demo_office(app, deploy_library, catalogue):
    """The dossier process, the catalogue and the `motcua demo` users."""
    from service.cli import demo

    deploy_library("dossier.bpmn")
    result = app.test_cli_runner().invoke(demo, [])
    assert result.exit_code == 0, result.output
    return app
