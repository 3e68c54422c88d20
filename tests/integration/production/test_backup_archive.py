"""Backup and restore of a data folder: what goes in, what comes back, what is refused.

The whole round trip through running stacks is in test_stack.py; these cover the
archive itself on a data folder made here (the engine only says no portal runs).
"""

from __future__ import annotations

import io
import secrets
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest

from paas.production import backup, config
from paas.production.backup import BackupError

pytestmark = [pytest.mark.integration]


@pytest.fixture
def ns(engine) -> str:
    return f"t{secrets.token_hex(3)}"


def data_folder(root: Path, namespace: str) -> Path:
    root.mkdir(parents=True)
    database = sqlite3.connect(root / "berth.sqlite3")
    database.execute("PRAGMA journal_mode=WAL")
    database.create_function("REGEXP", 2, lambda p, v: True)
    database.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT)")
    database.execute("INSERT INTO django_migrations (app, name) VALUES ('apps', '0001_initial')")
    # A check with REGEXP, as Django writes for validated fields.
    database.execute("CREATE TABLE apps_app (name TEXT CHECK (name REGEXP '^[a-z]+$'))")
    database.execute("INSERT INTO apps_app (name) VALUES ('shop')")
    database.commit()
    database.close()
    (root / "secret_key").write_text("django key")
    (root / "secrets.key").write_text("fernet key")
    config.write_saved(root, {"BERTH_NAMESPACE": namespace, "BERTH_ROOT_DOMAIN": "example.com"})
    site = root / "gateway" / namespace / "sites" / "shop.conf"
    site.parent.mkdir(parents=True)
    site.write_text("server { server_name shop.example.com; }\n")
    (root / "gateway" / namespace / "staging" / "abc").mkdir(parents=True)
    (root / "gateway" / namespace / "staging" / "abc" / "shop.conf").write_text("half done")
    (root / "gateway" / "othernamespace" / "sites").mkdir(parents=True)
    (root / "gateway" / "othernamespace" / "sites" / "x.conf").write_text("not ours")
    (root / "static").mkdir()
    (root / "static" / "app.css").write_text("body {}")
    return root


def test_an_archive_holds_the_database_keys_settings_and_this_namespaces_gateway(tmp_path, ns):
    source = data_folder(tmp_path / "data", ns)
    archive = backup.create(source, tmp_path / "b.tar.gz", log=lambda line: None)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert names == {
        "manifest.json",
        "database/berth.sqlite3",
        "files/secret_key",
        "files/secrets.key",
        "files/install.env",
        f"files/gateway/{ns}/sites/shop.conf",
    }
    manifest = backup.read_manifest(archive)
    assert manifest.namespace == ns
    assert manifest.migrations == {"apps": "0001_initial"}


def test_restore_into_an_empty_folder_gives_the_same_state_back(tmp_path, ns):
    archive = backup.create(data_folder(tmp_path / "data", ns), tmp_path / "b.tar.gz", log=print)
    target = tmp_path / "restored"
    backup.restore(archive, target, namespace=None, replace=False, log=print)
    rows = sqlite3.connect(target / "berth.sqlite3").execute("SELECT name FROM apps_app").fetchall()
    assert rows == [("shop",)]
    assert (target / "secrets.key").read_text() == "fernet key"
    assert (target / "gateway" / ns / "sites" / "shop.conf").exists()
    assert config.read_saved(target)["BERTH_ROOT_DOMAIN"] == "example.com"


def test_restore_into_another_namespace_leaves_the_old_names_gateway_files_out(tmp_path, ns):
    archive = backup.create(data_folder(tmp_path / "data", ns), tmp_path / "b.tar.gz", log=print)
    target = tmp_path / "restored"
    other = f"t{secrets.token_hex(3)}"
    backup.restore(archive, target, namespace=other, replace=False, log=print)
    assert not (target / "gateway").exists() or not any((target / "gateway").rglob("*.conf"))
    assert config.read_saved(target)["BERTH_NAMESPACE"] == other
    assert (target / "secret_key").read_text() == "django key"


def test_restore_refuses_a_folder_with_a_database_unless_asked_to_replace_it(tmp_path, ns):
    source = data_folder(tmp_path / "data", ns)
    archive = backup.create(source, tmp_path / "b.tar.gz", log=print)
    (source / "secrets.key").write_text("a newer key")
    with pytest.raises(BackupError, match="already holds a database"):
        backup.restore(archive, source, namespace=None, replace=False, log=print)
    backup.restore(archive, source, namespace=None, replace=True, log=print)
    assert (source / "secrets.key").read_text() == "fernet key"
    kept = list(source.glob("before-restore-*/secrets.key"))
    assert [path.read_text() for path in kept] == ["a newer key"]


def test_restore_writes_nothing_outside_the_data_folder(tmp_path, ns):
    archive = backup.create(data_folder(tmp_path / "data", ns), tmp_path / "b.tar.gz", log=print)
    crafted = tmp_path / "crafted.tar.gz"
    with tarfile.open(archive) as original, tarfile.open(crafted, "w:gz") as tar:
        for member in original.getmembers():
            tar.addfile(member, original.extractfile(member))
        evil = tarfile.TarInfo("files/../../escaped.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    backup.restore(crafted, tmp_path / "restored", namespace=None, replace=False, log=print)
    assert not (tmp_path / "escaped.txt").exists()
    assert not list(tmp_path.rglob("escaped.txt"))


def test_a_data_folder_without_a_database_is_refused(tmp_path):
    with pytest.raises(BackupError, match="no database"):
        backup.create(tmp_path, tmp_path / "b.tar.gz", log=print)
