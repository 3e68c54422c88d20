"""What ``berth deploy`` uploads: the folder's files as git sees them, in a tar.gz."""

from __future__ import annotations

import gzip
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from berth_cli.errors import USAGE, CliError


@dataclass(frozen=True)
class Selection:
    files: list[str]  # POSIX paths relative to the folder, sorted
    via_git: bool


def _git_files(folder: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files under ``folder``; None outside a work tree."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=folder,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:  # no git installed: treat like a plain folder
        return None
    if result.returncode != 0:
        if b"not a git repository" in result.stderr:
            return None
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise CliError(f"git ls-files failed: {message[-1] if message else result.returncode}")
    return [name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def _walk_files(folder: Path) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        base = Path(root).relative_to(folder)
        found.extend((base / name).as_posix() for name in files)
    return found


def select_files(folder: Path) -> Selection:
    """The files to send. In a git work tree .gitignore is honoured; a file deleted
    but still in the index, and a submodule's folder, are left out."""
    listed = _git_files(folder)
    via_git = listed is not None
    names = listed if listed is not None else _walk_files(folder)
    keep = set()
    for name in names:
        path = folder / name
        if path.is_symlink() or path.is_file():
            keep.add(Path(name).as_posix())
    return Selection(files=sorted(keep), via_git=via_git)


def _add(archive: tarfile.TarFile, folder: Path, name: str) -> None:
    info = archive.gettarinfo(str(folder / name), arcname=name)
    # Nothing about the sender's machine goes into the upload.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isreg():
        with open(folder / name, "rb") as handle:
            archive.addfile(info, handle)
    else:
        archive.addfile(info)


def build_tarball(folder: Path, files: Iterable[str], out: IO[bytes]) -> None:
    """Write ``files`` (relative to ``folder``) to ``out`` as a gzip-compressed tar."""
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name in files:
            _add(archive, folder, name)


def pack(folder: Path) -> tuple[IO[bytes], Selection]:
    """A temporary file holding the folder's tar.gz (rewound), and what went into it."""
    selection = select_files(folder)
    if not selection.files:
        raise CliError(f"nothing to deploy: no files in {folder}", USAGE)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it after the upload
    try:
        build_tarball(folder, selection.files, out)
    except OSError as exc:
        out.close()
        raise CliError(f"cannot pack {folder}: {exc}", USAGE) from exc
    out.seek(0)
    return out, selection
