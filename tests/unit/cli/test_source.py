"""Which files ``berth deploy`` sends, checked against a real git repository."""

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from berth_cli import source
from berth_cli.errors import CliError


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _no_enclosing_repo(tmp_path, monkeypatch):
    # git must not find a repository above the test's folder.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.delenv("GIT_DIR", raising=False)


@pytest.fixture
def repo(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    git(folder, "init", "-q")
    write(folder / ".gitignore", "*.log\nnode_modules/\n.env\n")
    write(folder / "Dockerfile", "FROM scratch\n")
    write(folder / "src" / "app.py", "print('hi')\n")
    write(folder / "gone.txt")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first")
    (folder / "gone.txt").unlink()  # deleted, not yet committed
    write(folder / "new.txt")  # untracked, not ignored
    write(folder / "debug.log")
    write(folder / "node_modules" / "dep" / "index.js")
    write(folder / ".env", "SECRET=1\n")
    write(folder / "src" / "trace.log")
    return folder


def test_it_sends_tracked_and_untracked_files_but_not_ignored_ones(repo):
    selection = source.select_files(repo)
    assert selection.via_git
    assert selection.files == [".gitignore", "Dockerfile", "new.txt", "src/app.py"]


def test_it_sends_only_the_subfolder_when_run_inside_one(repo):
    write(repo / "src" / "Dockerfile", "FROM scratch\n")
    assert source.select_files(repo / "src").files == ["Dockerfile", "app.py"]


def test_it_sends_every_file_but_git_outside_a_repository(tmp_path):
    folder = tmp_path / "plain"
    write(folder / "Dockerfile")
    write(folder / "a.log")
    write(folder / "deep" / "b.txt")
    write(folder / ".git" / "config")  # a stray .git folder is still never sent
    selection = source.select_files(folder)
    assert not selection.via_git
    assert selection.files == ["Dockerfile", "a.log", "deep/b.txt"]


def test_the_tarball_holds_the_selected_files_with_their_modes(repo):
    script = write(repo / "run.sh", "#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    os.symlink("src/app.py", repo / "link.py")
    tarball, selection = source.pack(repo)
    with tarball, tarfile.open(fileobj=tarball, mode="r:gz") as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert sorted(members) == selection.files
        assert members["run.sh"].mode & 0o111, "the executable bit must survive"
        assert members["link.py"].issym()
        assert members["link.py"].linkname == "src/app.py"
        assert (members["src/app.py"].uid, members["src/app.py"].uname) == (0, "")
        data = archive.extractfile("src/app.py")
        assert data is not None
        assert data.read() == b"print('hi')\n"
        assert not {".env", "debug.log"} & set(members)


def test_the_tarball_is_the_same_for_the_same_files(repo):
    first, _ = source.pack(repo)
    second, _ = source.pack(repo)
    with first, second:
        assert first.read() == second.read()


def test_an_empty_folder_is_refused_with_a_clear_line(tmp_path):
    with pytest.raises(CliError, match="nothing to deploy") as caught:
        source.pack(tmp_path)
    assert caught.value.code == 2
