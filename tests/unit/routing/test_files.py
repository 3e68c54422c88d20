"""The gateway folder: atomic writes, one folder per namespace, and the lock."""

from __future__ import annotations

import threading
import time

import pytest

from routing import files


@pytest.fixture
def gateway_dir(settings, tmp_path):
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_NAMESPACE = "alpha"
    return tmp_path


def test_each_namespace_has_its_own_folder(gateway_dir):
    assert files.layout().root == gateway_dir / "alpha"
    assert files.layout("beta").root == gateway_dir / "beta"


def test_write_atomic_reports_whether_the_file_changed(gateway_dir):
    path = files.layout().site("shop")

    assert files.write_atomic(path, "one") is True
    assert files.write_atomic(path, "one") is False
    assert files.write_atomic(path, "two") is True
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["shop.conf"]


def test_live_sites_lists_apps_but_not_the_portal(gateway_dir):
    lay = files.layout()
    files.write_atomic(lay.site("shop"), "x")
    files.write_atomic(lay.site("_portal"), "x")

    assert set(files.live_sites(lay)) == {"shop"}


def test_the_lock_serialises_holders(gateway_dir):
    lay = files.layout()
    events: list[str] = []

    def hold(name: str) -> None:
        with files.locked(lay):
            events.append(f"{name} in")
            time.sleep(0.1)
            events.append(f"{name} out")

    threads = [threading.Thread(target=hold, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert events[0].endswith("in")
    assert events[1].endswith("out")
    assert events[2].endswith("in")
    assert events[3].endswith("out")


def test_a_lock_held_too_long_times_out(gateway_dir):
    lay = files.layout()
    with files.locked(lay), pytest.raises(files.LockTimeout), files.locked(lay, timeout=0.1):
        pass


def test_staging_folders_are_removed_afterwards(gateway_dir):
    lay = files.layout()
    with files.staging_dir(lay) as folder:
        (folder / "shop.conf").write_text("x")

    assert list(lay.staging.iterdir()) == []
