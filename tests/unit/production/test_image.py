"""The portal image's build context: what .dockerignore admits, packed the same way twice."""

from __future__ import annotations

import re
import tarfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from paas.production import image
from paas.production.config import BASE_DIR


def checkout(tmp_path: Path) -> Path:
    (tmp_path / ".dockerignore").write_text("*\n!manage.py\n!paas\n**/__pycache__\n")
    (tmp_path / "manage.py").write_text("print('manage')\n")
    (tmp_path / "paas").mkdir()
    (tmp_path / "paas" / "settings.py").write_text("DEBUG = False\n")
    (tmp_path / "paas" / "__pycache__").mkdir()
    (tmp_path / "paas" / "__pycache__" / "settings.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "berth.sqlite3").write_bytes(b"secret rows")
    return tmp_path


def test_the_context_holds_what_dockerignore_admits_and_nothing_else(tmp_path):
    root = checkout(tmp_path)
    context, _ = image.context_tar(root)
    with context, tarfile.open(fileobj=context) as tar:
        assert sorted(tar.getnames()) == ["manage.py", "paas/settings.py"]


def test_the_same_files_give_the_same_digest_and_a_change_another(tmp_path):
    root = checkout(tmp_path)
    first = image.context_tar(root)[1]
    (root / "paas" / "settings.py").touch()  # a new time alone changes nothing
    assert image.context_tar(root)[1] == first
    (root / "paas" / "settings.py").write_text("DEBUG = True\n")
    assert image.context_tar(root)[1] != first


def test_the_checkouts_context_has_the_dockerfile_code_and_templates_but_no_data():
    entries = image.context_entries(BASE_DIR)
    assert {"compose/Dockerfile", "compose/wheelhouse", "paas", "apps", "templates"} <= set(entries)
    # The stack file is not in the image: changing it does not make a new image.
    assert "compose/stack.yml" not in entries
    assert not {"var", ".venv", "tests", "artifacts"} & set(entries)


def test_missing_wheels_names_each_pin_without_its_wheel(tmp_path):
    pins = image.pins()
    name, version = pins[0]
    (tmp_path / f"{name.replace('-', '_')}-{version}-py3-none-any.whl").write_bytes(b"")
    missing = image.missing_wheels(tmp_path)
    assert f"{name}=={version}" not in missing
    assert len(missing) == len(pins) - 1


def test_every_dependency_of_the_project_is_pinned_for_the_image():
    """A dependency added to pyproject.toml must reach the image: run scripts/pin-requirements.py."""
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["postgres"])
    pinned = {re.sub(r"[-_.]+", "-", name).lower() for name, _ in image.pins()}
    missing = [
        requirement
        for requirement in wanted
        if re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower() not in pinned
    ]
    assert not missing, (
        f"not in compose/requirements.txt: {missing}; run scripts/pin-requirements.py"
    )
