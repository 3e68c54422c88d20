"""Fetching one exact commit with the ``git`` binary into a build folder.

Each checkout runs git in an empty environment of its own: no user or system
config, no terminal prompts, only the transports the URL needs
(``GIT_ALLOW_PROTOCOL``), no hooks, and a deadline. Credentials never reach the
command line or the URL: an HTTPS token goes in an ``http.<origin>.extraHeader``
given through ``GIT_CONFIG_*`` variables (so only this origin gets it), an SSH
key in a 0600 file of a private temporary folder named by ``GIT_SSH_COMMAND``
with the app's pinned known_hosts (``StrictHostKeyChecking=accept-new``: a new
host is learnt, a changed key is refused). Output that reaches a log has the
token blanked out anyway.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from apps import builds
from apps.engine import BuildFailed
from apps.git.models import Auth
from apps.git.validation import kind_of

POLL = 0.25
# The operator's trust store and proxy, if the worker has them, reach git too.
PASSED_ON = (
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
)
FETCH_DEEPER = 50
MASK = "••••"


class CheckoutFailed(BuildFailed):
    """The commit could not be fetched; the message says why, with no secrets in it."""


@dataclass(frozen=True)
class Credentials:
    auth: str = Auth.NONE
    username: str = ""
    secret: str = ""  # the token or the private key
    known_hosts: str = ""


@dataclass(frozen=True)
class Checkout:
    folder: Path  # what to build: the commit's files (or its subfolder's), no .git
    sha: str
    message: str
    known_hosts: str  # the pinned host keys after this fetch (an SSH host may be new)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def ssh_command(key_file: Path | None, known_hosts_file: Path) -> str:
    options = [
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-o",
        f"UserKnownHostsFile={known_hosts_file}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=20",
        "-o",
        "IdentityAgent=none",
    ]
    if key_file is not None:
        options += ["-o", "IdentitiesOnly=yes", "-i", str(key_file)]
    return shlex.join(options)


def git_env(url: str, credentials: Credentials, private: Path) -> dict[str, str]:
    """The whole environment git runs with; ``private`` is a 0700 folder for key files."""
    kind = kind_of(url)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(private),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_ALLOW_PROTOCOL": "file" if kind == "file" else kind,
        "GIT_LFS_SKIP_SMUDGE": "1",
    }
    env.update({name: os.environ[name] for name in PASSED_ON if os.environ.get(name)})
    config = [("core.hooksPath", "/dev/null"), ("advice.detachedHead", "false")]
    if credentials.auth == Auth.TOKEN and credentials.secret and kind == "https":
        pair = f"{credentials.username or 'git'}:{credentials.secret}".encode()
        header = f"Authorization: Basic {base64.b64encode(pair).decode()}"
        config.append((f"http.{origin(url)}.extraHeader", header))
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    env["GIT_CONFIG_COUNT"] = str(len(config))
    if kind == "ssh":
        key_file = None
        if credentials.auth == Auth.SSH_KEY and credentials.secret:
            key_file = private / "id_deploy"
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(credentials.secret)
        known = private / "known_hosts"
        known.write_text(credentials.known_hosts)
        known.chmod(0o600)
        env["GIT_SSH_COMMAND"] = ssh_command(key_file, known)
    return env


def explain(stderr: str, *, url: str, branch: str, token: bool = False) -> str:
    """git's error, with a plain reason in front for the common cases."""
    text = stderr.strip()
    last = " ".join(line.strip() for line in text.splitlines()[-4:])
    asked = (
        "The repository refused the token."
        if token
        else "The repository needs credentials (a token or deploy key)."
    )
    hints = [
        ("terminal prompts disabled", asked),
        ("Authentication failed", "The repository refused the token."),
        ("Permission denied (publickey", "The repository refused the deploy key."),
        ("Host key verification failed", "The SSH host key differs from the pinned one."),
        ("REMOTE HOST IDENTIFICATION HAS CHANGED", "The SSH host key differs from the pinned one."),
        ("couldn't find remote ref", f"The branch {branch!r} does not exist in the repository."),
        ("not our ref", "The server does not serve that commit."),
        ("does not appear to be a git repository", f"No git repository at {url}."),
        ("Repository not found", f"No repository at {url}, or no access to it."),
        ("Could not resolve host", "The repository's host name does not resolve."),
    ]
    for needle, reason in hints:
        if needle in text:
            return f"{reason} (git: {last})"
    return f"git: {last}" if last else "git failed with no message"


class Runner:
    """Runs git commands under one deadline, checking for cancellation while they run."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        deadline: float,
        check: Callable[[], None],
        secret: str,
        url: str,
        branch: str,
    ) -> None:
        self.url = url
        self.branch = branch
        self.env = env
        self.deadline = deadline
        self.check = check
        self.secret = secret

    def __call__(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        with subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # git's ssh or https helper goes with it when killed
        ) as proc:
            while True:
                try:
                    out, err = proc.communicate(timeout=POLL)
                    break
                except subprocess.TimeoutExpired:
                    try:
                        if time.monotonic() > self.deadline:
                            raise CheckoutFailed(
                                "Fetching the repository took longer than BERTH_GIT_TIMEOUT."
                            ) from None
                        self.check()
                    except BaseException:
                        _kill(proc)
                        raise
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, self.scrub(out), self.scrub(err)
        )

    def failed(self, stderr: str) -> CheckoutFailed:
        return CheckoutFailed(
            explain(stderr, url=self.url, branch=self.branch, token=bool(self.secret))
        )

    def scrub(self, text: str) -> str:
        return text.replace(self.secret, MASK) if self.secret else text


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _nothing() -> None:
    return None


def checkout(
    *,
    url: str,
    branch: str,
    sha: str = "",
    subfolder: str = "",
    credentials: Credentials | None = None,
    timeout: float = 300,
    check: Callable[[], None] = _nothing,
    log: Callable[[str], None] = lambda _: None,
) -> Checkout:
    """Fetch ``sha`` (or the tip of ``branch``) of ``url`` into a new build folder.

    With a SHA the commit itself is fetched (shallow); a server that does not
    serve commits by id gets the branch's recent history instead, which must
    contain it. On any failure nothing is left behind.
    """
    credentials = credentials or Credentials()
    repo = builds.new_build_dir()
    folder: Path | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="berth-git-") as private:
            env = git_env(url, credentials, Path(private))
            git = Runner(
                env,
                deadline=time.monotonic() + timeout,
                check=check,
                secret=credentials.secret if credentials.auth == Auth.TOKEN else "",
                url=url,
                branch=branch,
            )
            done = git("init", "--quiet", str(repo), cwd=repo)
            if done.returncode != 0:
                raise git.failed(done.stderr)
            target = fetch(git, repo, url=url, branch=branch, sha=sha, log=log)
            done = git("checkout", "--quiet", "--detach", target, cwd=repo)
            if done.returncode != 0:
                raise git.failed(done.stderr)
            shown = git("log", "-1", "--format=%H%x00%B", target, cwd=repo)
            if shown.returncode != 0:
                raise git.failed(shown.stderr)
            found_sha, _, message = shown.stdout.partition("\x00")
            known_hosts = _read(Path(private) / "known_hosts", credentials.known_hosts)
        shutil.rmtree(repo / ".git")
        folder = _only_subfolder(repo, subfolder)
        return Checkout(
            folder=folder,
            sha=found_sha.strip(),
            message=message.strip(),
            known_hosts=known_hosts,
        )
    finally:
        if folder is None or folder != repo:
            builds.remove_build_dir(str(repo))


def fetch(
    git: Runner, repo: Path, *, url: str, branch: str, sha: str, log: Callable[[str], None]
) -> str:
    """Fetch the commit to build; returns what to check out."""
    common = ("fetch", "--quiet", "--no-tags", "--no-recurse-submodules")
    if sha:
        log(f"Fetching commit {sha[:12]} of {url}")
        done = git(*common, "--depth=1", "--", url, sha, cwd=repo)
        if done.returncode == 0:
            return sha
        log(
            f"The server does not serve commits by id; fetching the last {FETCH_DEEPER} of {branch}"
        )
        done = git(*common, f"--depth={FETCH_DEEPER}", "--", url, f"refs/heads/{branch}", cwd=repo)
        if done.returncode != 0:
            raise git.failed(done.stderr)
        if git("cat-file", "-e", f"{sha}^{{commit}}", cwd=repo).returncode != 0:
            raise CheckoutFailed(
                f"The commit {sha[:12]} is not among the last {FETCH_DEEPER} commits of {branch}."
            )
        return sha
    log(f"Fetching the tip of {branch} from {url}")
    done = git(*common, "--depth=1", "--", url, f"refs/heads/{branch}", cwd=repo)
    if done.returncode != 0:
        raise git.failed(done.stderr)
    return "FETCH_HEAD"


def _read(path: Path, default: str) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return default


def _only_subfolder(repo: Path, subfolder: str) -> Path:
    """The folder to build: the checkout, or the contents of its subfolder moved to a new one."""
    if not subfolder:
        return repo
    source = repo / subfolder
    # A symlinked folder could point anywhere on the host: only a real folder inside.
    inside = repo.resolve() in source.resolve().parents
    if (
        not inside
        or not source.is_dir()
        or any(
            (repo / Path(*Path(subfolder).parts[: i + 1])).is_symlink()
            for i in range(len(Path(subfolder).parts))
        )
    ):
        raise CheckoutFailed(f"The folder {subfolder!r} is not a folder of the repository.")
    dest = builds.new_build_dir()
    try:
        for child in source.iterdir():
            child.rename(dest / child.name)
    except OSError:
        builds.remove_build_dir(str(dest))
        raise
    return dest
