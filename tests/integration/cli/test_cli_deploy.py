"""``berth`` as a developer runs it: a subprocess against a running portal, a real
Celery worker, the real swarm and the real gateway. Its exit code follows the
deployment's result."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from paas import services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
INSTALLED = ROOT / ".venv" / "bin" / "berth"
DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
CMD ["sh", "-c", "mkdir -p /tmp && exec httpd -f -v -p 80 -h /www"]
"""
BROKEN = 'RUN ["/bin/sh", "-c", "echo broken on purpose; exit 3"]\n'


@pytest.fixture
def fast_deploys(settings: Any) -> None:
    # Short health-check interval and monitor window: the same logic, less waiting.
    settings.BERTH_HEALTH_INTERVAL_SECONDS = 1
    settings.BERTH_DEPLOY_MONITOR_SECONDS = 1
    settings.BERTH_DEPLOY_TIMEOUT = 90
    settings.BERTH_PULL_IMAGES = False
    # busybox httpd as PID 1 ignores SIGTERM: do not wait 10 s for each old task.
    settings.BERTH_STOP_GRACE_SECONDS = 1


@pytest.fixture
def built_images_removed(engine: Any, namespace: str) -> Iterator[None]:
    """The images this test's builds made (labelled with its namespace) go with it."""
    yield
    label = f"berth.namespace={namespace}"
    for service in engine.services.list(filters={"label": label}):
        service.remove()
    deadline = time.monotonic() + 60
    # The low-level list: a container may vanish between listing and inspecting.
    while engine.api.containers(all=True, filters={"label": label}):
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    for image in engine.images.list(filters={"label": label}):
        for tag in image.tags or [image.id]:
            engine.images.remove(tag, force=True)


class Berth:
    """Runs the installed command in a folder, with its own HOME and config folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
        }

    def __call__(
        self, *args: str, cwd: Path | None = None, stdin: str = "", timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        command = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "berth_cli"]
        return subprocess.run(
            [*command, *args],
            cwd=cwd or self.home,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def make_project(folder: Path) -> Path:
    """A git work tree with a Dockerfile FROM scratch, an ignored page and an untracked one."""
    busybox = shutil.which("busybox")
    assert busybox, "busybox not found: apt-get install busybox-static"
    (folder / "www").mkdir(parents=True)
    (folder / "Dockerfile").write_text(DOCKERFILE)
    shutil.copy(busybox, folder / "busybox")
    (folder / "www" / "index.html").write_text("<h1>version one</h1>\n")
    (folder / "www" / "secret.html").write_text("must not be uploaded\n")
    (folder / ".gitignore").write_text("www/secret.html\n")
    git(folder, "init", "-q")
    git(folder, "add", "Dockerfile", "busybox", "www/index.html", ".gitignore")
    git(folder, "commit", "-q", "-m", "the app")
    (folder / "www" / "extra.html").write_text("untracked but not ignored\n")
    return folder


def test_berth_deploys_a_folder_and_its_exit_code_follows_the_deployment(
    people: Any,
    live_server: Any,
    gateway: Any,
    images: Any,
    celery_worker: Any,
    fast_deploys: None,
    built_images_removed: None,
    tmp_path: Path,
) -> None:
    _, token = services.create_token(
        team=people.team, name="laptop", scopes="read,deploy", principal=None
    )
    berth = Berth(tmp_path / "home")
    berth.home.mkdir()
    project = make_project(tmp_path / "project")
    host = "cliweb.localhost"

    login = berth("login", live_server.url, stdin=f"{token}\n")
    assert login.returncode == 0, login.stderr
    assert f"as team {people.team.slug}" in login.stdout
    saved = berth.home / ".config" / "berth" / "config.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    created = berth("apps", "create", "cliweb", "--port", "80")
    assert created.returncode == 0, created.stderr

    # A healthy deployment: exit 0, with the build log and the status changes followed.
    first = berth("deploy", "cliweb", cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Uploading 5 files tracked by git" in first.stdout
    assert "Step 1/" in first.stdout
    assert "--> cliweb #1: healthy" in first.stdout
    assert first.stderr == ""
    assert gateway.wait_for(host, "/").body == "<h1>version one</h1>\n"
    assert gateway.get(host, "/extra.html").status == 200
    assert gateway.get(host, "/secret.html").status == 404, ".gitignore'd files stay home"

    listed = berth("apps")
    assert listed.returncode == 0, listed.stderr
    assert any(
        line.split()[:4] == ["cliweb", "1", "#1", "healthy"] for line in listed.stdout.splitlines()
    ), listed.stdout

    # The URL `open` prints is the one the gateway answers on.
    opened = berth("open", "cliweb", "--no-browser")
    assert opened.returncode == 0, opened.stderr
    url = urlsplit(opened.stdout.strip())
    assert (url.hostname, url.port) == (host, gateway.http_port)

    # A broken build: exit 1, one line saying so; the log that says why was shown.
    with (project / "Dockerfile").open("a") as dockerfile:
        dockerfile.write(BROKEN)
    broken = berth("deploy", "--app", "cliweb", cwd=project)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "broken on purpose" in broken.stdout
    assert broken.stderr.startswith("berth: deployment #2 of cliweb failed")
    assert broken.stderr.count("\n") == 1
    assert gateway.get(host, "/").body == "<h1>version one</h1>\n", "the old version stays up"
    assert "#2 failed (runs #1)" in berth("apps").stdout

    # A fixed second version, then a rollback to the healthy one before it.
    (project / "Dockerfile").write_text(DOCKERFILE)
    (project / "www" / "index.html").write_text("<h1>version two</h1>\n")
    second = berth("deploy", "cliweb", cwd=project)
    assert second.returncode == 0, second.stdout + second.stderr
    gateway.wait_for(host, "/", until=lambda reply: "version two" in reply.body)

    rolled = berth("rollback", "cliweb")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "Rolling cliweb back to #1 as deployment #4" in rolled.stdout
    gateway.wait_for(host, "/", until=lambda reply: "version one" in reply.body)

    logs = berth("logs", "cliweb", "--tail", "50", timeout=60)
    assert logs.returncode == 0, logs.stderr
    # busybox httpd -v logs each request it answered.
    assert "response:200" in logs.stdout, logs.stdout

    # An image instead of the folder.
    imaged = berth("deploy", "cliweb", "--image", images.web)
    assert imaged.returncode == 0, imaged.stdout + imaged.stderr
    assert "--> cliweb #5: healthy" in imaged.stdout
    reply = gateway.wait_for(host, "/cgi-bin/info")
    assert reply.fact("hostname")

    missing = berth("deploy", "nope", cwd=project)
    assert (missing.returncode, missing.stderr) == (1, "berth: app 'nope' not found\n")
