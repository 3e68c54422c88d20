"""Fetching the exact commit with the real ``git`` from real remotes: a bare repository on
disk, HTTPS behind a token, SSH with a deploy key and a pinned host key. No engine needed."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps import builds
from apps.git import keys
from apps.git.clone import CheckoutFailed, Credentials, checkout
from apps.git.models import Auth
from tests.integration.git.remotes import https_remote, make_repo, ssh_remote

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo")


def leftovers() -> list[Path]:
    root = builds.builds_root()
    return list(root.iterdir()) if root.exists() else []


def test_it_checks_out_the_pushed_commit_even_after_the_branch_moved_on(data_dir, repo):
    first = repo.commit("First version\n\nWith a body.", {"Dockerfile": "FROM scratch\n", "v": "1"})
    repo.commit("Second version", {"v": "2"})

    found = checkout(url=repo.url, branch="main", sha=first)

    assert found.sha == first
    assert found.message == "First version\n\nWith a body."
    assert (found.folder / "v").read_text() == "1"
    assert not (found.folder / ".git").exists()  # history stays out of the build context
    assert found.folder.parent == builds.builds_root()


def test_without_a_commit_it_takes_the_tip_of_the_branch(data_dir, repo):
    repo.commit("One", {"v": "1"})
    tip = repo.commit("Two", {"v": "2"})
    repo.commit("Elsewhere", {"v": "3"}, branch="dev")

    found = checkout(url=repo.url, branch="main")

    assert (found.sha, found.message) == (tip, "Two")
    assert (found.folder / "v").read_text() == "2"


def test_a_subfolder_becomes_the_build_context(data_dir, repo):
    sha = repo.commit("Mono repo", {"services/web/Dockerfile": "FROM scratch\n", "README": "x"})

    found = checkout(url=repo.url, branch="main", sha=sha, subfolder="services/web")

    assert sorted(p.name for p in found.folder.iterdir()) == ["Dockerfile"]
    assert leftovers() == [found.folder]  # the rest of the clone is gone


def test_a_subfolder_that_is_a_link_out_of_the_repository_is_refused(data_dir, repo, tmp_path):
    (repo.work / "web").symlink_to("/etc")
    sha = repo.commit("Sneaky link", {"README": "x"})

    with pytest.raises(CheckoutFailed, match="not a folder of the repository"):
        checkout(url=repo.url, branch="main", sha=sha, subfolder="web")
    assert leftovers() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"branch": "nope"}, "The branch 'nope' does not exist"),
        ({"branch": "main", "sha": "f" * 40}, "is not among the last 50 commits of main"),
        ({"branch": "main", "subfolder": "missing"}, "not a folder of the repository"),
    ],
)
def test_what_cannot_be_fetched_fails_in_words_and_leaves_nothing(data_dir, repo, kwargs, message):
    repo.commit("One", {"v": "1"})

    with pytest.raises(CheckoutFailed, match=message):
        checkout(url=repo.url, **kwargs)
    assert leftovers() == []


def test_a_repository_that_is_not_there_fails_in_words(data_dir, tmp_path):
    with pytest.raises(CheckoutFailed, match="No git repository at"):
        checkout(url=f"file://{tmp_path}/nothing.git", branch="main")


@contextlib.contextmanager
def silent_remote() -> Iterator[str]:
    """An https URL whose server accepts connections and never answers: git waits."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield f"https://127.0.0.1:{server.getsockname()[1]}/repo.git"
    finally:
        server.close()


class Stop(Exception):
    pass


def test_a_cancelled_fetch_stops_git_and_cleans_up(data_dir):
    asked = []

    def check() -> None:
        asked.append(1)
        if len(asked) >= 3:
            raise Stop

    started = time.monotonic()
    with silent_remote() as url, pytest.raises(Stop):
        checkout(url=url, branch="main", check=check, timeout=60)

    assert time.monotonic() - started < 10
    assert leftovers() == []


def test_a_fetch_past_its_deadline_fails(data_dir):
    with silent_remote() as url, pytest.raises(CheckoutFailed, match="BERTH_GIT_TIMEOUT"):
        checkout(url=url, branch="main", timeout=1)

    assert leftovers() == []


# --- HTTPS with a token --------------------------------------------------------------------


def test_a_token_goes_in_a_header_to_the_repositorys_host_never_in_the_url(
    data_dir, repo, tmp_path, monkeypatch
):
    sha = repo.commit("Private", {"v": "secret app"})
    token = "ghp_" + "s3cret" * 6
    with https_remote(repo, token, tmp_path / "https") as remote:
        monkeypatch.setenv("GIT_SSL_CAINFO", str(remote.ca_file))
        found = checkout(
            url=remote.url,
            branch="main",
            sha=sha,
            credentials=Credentials(auth=Auth.TOKEN, secret=token),
        )

    assert (found.folder / "v").read_text() == "secret app"
    assert remote.seen, "git made no request"
    assert all(token not in path for path, _ in remote.seen)
    assert all(header.startswith("Basic ") for _, header in remote.seen)


def test_a_wrong_token_fails_without_showing_it(data_dir, repo, tmp_path, monkeypatch):
    repo.commit("Private", {"v": "1"})
    wrong = "ghp_wrong_" + "x" * 20
    with https_remote(repo, "the-right-token", tmp_path / "https") as remote:
        monkeypatch.setenv("GIT_SSL_CAINFO", str(remote.ca_file))
        with pytest.raises(CheckoutFailed) as caught:
            checkout(
                url=remote.url,
                branch="main",
                credentials=Credentials(auth=Auth.TOKEN, secret=wrong),
            )

    assert "The repository refused the token." in str(caught.value)
    assert wrong not in str(caught.value)
    assert leftovers() == []


def test_no_token_for_a_private_repository_fails_instead_of_prompting(
    data_dir, repo, tmp_path, monkeypatch
):
    repo.commit("Private", {"v": "1"})
    with https_remote(repo, "the-right-token", tmp_path / "https") as remote:
        monkeypatch.setenv("GIT_SSL_CAINFO", str(remote.ca_file))
        with pytest.raises(CheckoutFailed, match="needs credentials"):
            checkout(url=remote.url, branch="main", timeout=20)


def test_the_token_is_not_on_gits_command_line(data_dir, repo, tmp_path, monkeypatch):
    """What `ps` shows of the running git must not hold the token."""
    repo.commit("Private", {"v": "1"})
    token = "ghp_" + "visible" * 5
    seen: list[str] = []
    real_popen = subprocess.Popen

    def spy(args, *rest, **kwargs):
        seen.append(" ".join(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    with https_remote(repo, token, tmp_path / "https") as remote:
        monkeypatch.setenv("GIT_SSL_CAINFO", str(remote.ca_file))
        checkout(
            url=remote.url, branch="main", credentials=Credentials(auth=Auth.TOKEN, secret=token)
        )

    assert seen
    assert all(token not in command for command in seen)


# --- SSH with a deploy key ----------------------------------------------------------------


def test_a_deploy_key_fetches_and_the_host_key_is_pinned_then_held(data_dir, repo, tmp_path):
    sha = repo.commit("Over ssh", {"v": "ssh"})
    private, public = keys.generate("berth-test")
    with ssh_remote(repo, public, tmp_path / "sshd") as remote:
        first = checkout(
            url=remote.url,
            branch="main",
            sha=sha,
            credentials=Credentials(auth=Auth.SSH_KEY, secret=private),
        )
        # Pinned now: the same host key passes, another is refused.
        again = checkout(
            url=remote.url,
            branch="main",
            credentials=Credentials(
                auth=Auth.SSH_KEY, secret=private, known_hosts=first.known_hosts
            ),
        )
        impostor = (
            remote.host_key_line.rsplit(" ", 1)[0]
            + " AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        )
        with pytest.raises(CheckoutFailed, match="differs from the pinned one"):
            checkout(
                url=remote.url,
                branch="main",
                credentials=Credentials(
                    auth=Auth.SSH_KEY, secret=private, known_hosts=impostor + "\n"
                ),
            )

    assert (first.folder / "v").read_text() == "ssh"
    assert first.sha == sha
    assert remote.host_key_line.split()[2] in first.known_hosts
    assert again.sha == sha


def test_a_key_the_server_does_not_know_is_refused(data_dir, repo, tmp_path):
    repo.commit("Over ssh", {"v": "ssh"})
    _, authorised = keys.generate("allowed")
    other, _ = keys.generate("not allowed")
    with (
        ssh_remote(repo, authorised, tmp_path / "sshd") as remote,
        pytest.raises(CheckoutFailed, match="refused the deploy key"),
    ):
        checkout(
            url=remote.url,
            branch="main",
            credentials=Credentials(auth=Auth.SSH_KEY, secret=other),
        )
    assert leftovers() == []
