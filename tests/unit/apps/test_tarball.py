"""Safe extraction: each hostile archive refused with its own message, nothing written outside."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from apps.tarball import Limits, TarballError, extract, find_root

LIMITS = Limits(max_bytes=1024 * 1024, max_files=50)


def member(name: str, data: bytes = b"", **attrs: Any) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


def archive(*members: tuple[tarfile.TarInfo, bytes], mode: Any = "w:gz") -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    buffer.seek(0)
    return buffer


def refused(
    tmp_path: Path, *members: tuple[tarfile.TarInfo, bytes], limits: Limits = LIMITS
) -> str:
    with pytest.raises(TarballError) as caught:
        extract(archive(*members), tmp_path / "out", limits)
    return caught.value.message_dict["source"][0]


def test_a_plain_source_tree_extracts(tmp_path):
    extract(
        archive(
            member("Dockerfile", b"FROM scratch\n"),
            member("src/app.py", b"print(1)\n"),
            member("link", type=tarfile.SYMTYPE, linkname="src/app.py"),
        ),
        tmp_path / "out",
        LIMITS,
    )

    assert (tmp_path / "out/src/app.py").read_text() == "print(1)\n"
    assert (tmp_path / "out/link").resolve() == (tmp_path / "out/src/app.py").resolve()


def test_it_refuses_absolute_paths(tmp_path):
    assert "absolute paths are not allowed" in refused(tmp_path, member("/etc/cron.d/x", b"x"))


def test_it_refuses_dot_dot(tmp_path):
    assert "'..' in a path is not allowed" in refused(tmp_path, member("a/../../x", b"x"))
    assert not (tmp_path / "x").exists()


def test_it_refuses_a_symlink_leaving_the_tree(tmp_path):
    message = refused(tmp_path, member("evil", type=tarfile.SYMTYPE, linkname="../../etc"))

    assert "points outside the archive" in message


def test_it_refuses_an_absolute_symlink(tmp_path):
    assert "points outside" in refused(
        tmp_path, member("evil", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    )


def test_it_refuses_a_hard_link_leaving_the_tree(tmp_path):
    message = refused(tmp_path, member("evil", type=tarfile.LNKTYPE, linkname="../outside"))

    assert "hard link" in message


def test_it_refuses_writing_through_a_link(tmp_path):
    # "dir" points inside, but "dir/../x" would resolve elsewhere on disk: refuse any write through it.
    message = refused(
        tmp_path,
        member("dir", type=tarfile.SYMTYPE, linkname="."),
        member("dir/file", b"x"),
    )

    assert "writing through a link is not allowed" in message


def test_it_refuses_devices_and_fifos(tmp_path):
    assert "device files are not allowed" in refused(tmp_path, member("sda", type=tarfile.BLKTYPE))
    assert "device files are not allowed" in refused(tmp_path, member("tty", type=tarfile.CHRTYPE))
    assert "FIFOs are not allowed" in refused(tmp_path, member("pipe", type=tarfile.FIFOTYPE))


def test_it_refuses_too_much_data(tmp_path):
    message = refused(
        tmp_path, member("big", b"x" * 2048), limits=Limits(max_bytes=1024, max_files=10)
    )

    assert "unpacks to more than" in message


def test_it_refuses_too_many_files(tmp_path):
    files = [member(f"f{i}", b"x") for i in range(11)]

    assert "more than 10 entries" in refused(
        tmp_path, *files, limits=Limits(max_bytes=10**6, max_files=10)
    )


def test_it_refuses_what_is_not_a_tarball(tmp_path):
    with pytest.raises(TarballError) as caught:
        extract(io.BytesIO(b"PK\x03\x04 a zip file"), tmp_path / "out", LIMITS)

    assert caught.value.message_dict["source"] == ["The upload is not a tar or tar.gz archive."]


def test_plain_and_xz_archives_work_too(tmp_path):
    for index, mode in enumerate(("w", "w:xz", "w:bz2")):
        extract(
            archive(member("Dockerfile", b"FROM scratch\n"), mode=mode),
            tmp_path / str(index),
            LIMITS,
        )
        assert (tmp_path / str(index) / "Dockerfile").is_file()


def test_the_build_root_is_the_top_or_one_folder_down(tmp_path):
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    (top / "Dockerfile").write_text("FROM scratch\n")
    down = tmp_path / "down"
    (down / "myapp").mkdir(parents=True)
    (down / "myapp" / "captain-definition").write_text("{}")

    assert find_root(top) == top
    assert find_root(down) == down / "myapp"


def test_no_dockerfile_or_several_candidates_is_explained(tmp_path):
    empty = tmp_path / "empty"
    (empty / "src").mkdir(parents=True)
    two = tmp_path / "two"
    for name in ("a", "b"):
        (two / name).mkdir(parents=True)
        (two / name / "Dockerfile").write_text("FROM scratch\n")

    with pytest.raises(TarballError, match="No Dockerfile or captain-definition"):
        find_root(empty)
    with pytest.raises(TarballError, match=r"Several folders .*\(a, b\)"):
        find_root(two)
