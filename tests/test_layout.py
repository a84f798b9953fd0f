"""The house's map holds: every package of the project is under the import contracts.

`make lint` checks the contracts; this test checks that no package escapes them by
being new (import-linter only sees the packages it is told about)."""

import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
NOT_PROJECT = {"tests", "bench", "scripts", "static", "templates"}


def _contracts() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _packages() -> set[str]:
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_PROJECT and not path.parent.name.startswith(".")
    }


def test_every_package_is_a_root_of_the_import_contracts():
    assert _packages() == set(_contracts()["root_packages"])


def test_every_package_has_its_place_in_the_app_layers():
    (layers,) = [
        c["layers"] for c in _contracts()["contracts"] if c["name"].startswith("Apps depend")
    ]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    assert placed == _packages()


def test_every_app_but_the_project_package_is_installed():
    installed = {app.split(".")[0] for app in settings.INSTALLED_APPS}
    assert _packages() - {"config"} <= installed


def test_every_app_has_an_exhaustive_contract_inside():
    """`exhaustive`: a module left out of its app's layers fails `make lint`."""
    inside = {
        container
        for c in _contracts()["contracts"]
        if c.get("exhaustive")
        for container in c.get("containers", [])
    }
    assert _packages() <= inside
