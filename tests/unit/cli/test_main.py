"""The command as a user runs it: exit codes and one-line errors, never a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from berth_cli.follow import new_log_text
from berth_cli.main import main
from tests.support.services import unavailable

ROOT = Path(__file__).resolve().parents[3]


def run_berth(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or ROOT),
        "XDG_CONFIG_HOME": str(Path(cwd or ROOT) / "no-config-here"),
        **(env_extra or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "berth_cli", *args],
        cwd=cwd or ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_an_unreachable_portal_is_one_line_and_exit_2(closed_port, tmp_path):
    url = f"http://127.0.0.1:{closed_port}"
    result = run_berth("apps", cwd=tmp_path, env_extra={"BERTH_URL": url, "BERTH_TOKEN": "x"})
    assert result.returncode == 2
    assert result.stderr == f"berth: cannot reach {url}: connection refused\n"
    assert result.stdout == ""


def test_login_to_an_unreachable_portal_saves_nothing(closed_port, tmp_path):
    url = f"http://127.0.0.1:{closed_port}"
    result = run_berth("login", url, cwd=tmp_path, stdin="berth_token\n")
    assert result.returncode == 2
    assert result.stderr == f"berth: cannot reach {url}: connection refused\n"
    assert not (tmp_path / "no-config-here").exists()


def test_a_command_before_login_says_how_to_log_in(tmp_path):
    result = run_berth("deploy", "web", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "run 'berth login URL'" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_mode_shows_the_traceback(closed_port, tmp_path):
    env = {
        "BERTH_URL": f"http://127.0.0.1:{closed_port}",
        "BERTH_TOKEN": "x",
        "BERTH_CLI_DEBUG": "1",
    }
    result = run_berth("apps", cwd=tmp_path, env_extra=env)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_deploy_without_an_app_name_is_a_usage_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("BERTH_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BERTH_TOKEN", "x")
    assert main(["deploy"]) == 2
    assert capsys.readouterr().err == "berth: which app? give its name: berth deploy APP\n"


def test_a_bad_tail_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["logs", "web", "--tail", "-3"])
    assert caught.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def test_the_installed_script_runs():
    berth = ROOT / ".venv" / "bin" / "berth"
    if not berth.exists():
        unavailable("no .venv/bin/berth: the package is not installed in .venv")
    result = subprocess.run([str(berth), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("berth ")


@pytest.mark.parametrize(
    ("shown", "log", "new"),
    [
        ("", "step 1\n", "step 1\n"),
        ("step 1\n", "step 1\nstep 2\n", "step 2\n"),
        ("step 1\n", "step 1\n", ""),
        # The server kept only the tail: what follows the last shown line is new.
        ("a\nb\nc\n", "[log truncated]\nb\nc\nd\n", "d\n"),
        # The middle was cut: what follows the kept head is new.
        ("head\nold 1\nold 2\n", "head\n[... cut ...]\nnew 9\n", "[... cut ...]\nnew 9\n"),
        # Nothing in common: show all of it rather than lose lines.
        ("a\n", "x\ny\n", "x\ny\n"),
    ],
)
def test_only_unseen_log_text_is_printed(shown, log, new):
    assert new_log_text(shown, log) == new
