"""``berth``: deploy to a Berth portal from a terminal. Entry point and argument parsing."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from berth_cli import __version__, commands
from berth_cli.errors import FAILED, INTERRUPTED, CliError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="berth",
        description="Deploy to a Berth portal. Log in once with 'berth login URL'; "
        "BERTH_URL and BERTH_TOKEN override the saved login.",
    )
    parser.add_argument("--version", action="version", version=f"berth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    login = sub.add_parser("login", help="save the portal's URL and an API token")
    login.add_argument("url", metavar="URL", help="the portal, e.g. https://berth.example.com")
    login.add_argument("--token", help="the API token (default: read from stdin or a prompt)")
    login.set_defaults(run=commands.login)

    apps = sub.add_parser("apps", help="list the apps (or 'apps create NAME')")
    apps.set_defaults(run=commands.apps_list)
    apps_sub = apps.add_subparsers(dest="apps_command", metavar="ACTION")
    create = apps_sub.add_parser("create", help="create an app")
    create.add_argument("name", metavar="NAME", help="a DNS label: the app's host name")
    create.add_argument("--port", type=_positive, help="the port the container listens on")
    create.add_argument("--instances", type=_positive, help="how many tasks to run")
    create.set_defaults(run=commands.apps_create)

    deploy = sub.add_parser(
        "deploy",
        help="deploy the current folder (the files git tracks) or an image",
        description="Without --image, uploads the current folder's files as git sees them "
        "(tracked plus untracked-but-not-ignored; every file but .git outside a repository), "
        "then follows the deployment until it is healthy (exit 0) or not (exit 1).",
    )
    deploy.add_argument("app", metavar="APP", nargs="?", help="the app to deploy to")
    deploy.add_argument("--app", dest="app_option", metavar="APP", help="same as APP")
    deploy.add_argument("--image", metavar="REF", help="deploy this image instead of the folder")
    deploy.add_argument("--no-follow", action="store_true", help="return once it is queued")
    deploy.set_defaults(run=commands.deploy)

    logs = sub.add_parser("logs", help="show an app's logs")
    logs.add_argument("app", metavar="APP")
    logs.add_argument("-f", "--follow", action="store_true", help="keep streaming new lines")
    logs.add_argument("--tail", type=_positive, default=100, help="lines to start with (100)")
    logs.set_defaults(run=commands.logs)

    rollback = sub.add_parser(
        "rollback", help="run an earlier deployment again (default: the last healthy one before)"
    )
    rollback.add_argument("app", metavar="APP")
    rollback.add_argument("number", metavar="NUMBER", nargs="?", type=_positive)
    rollback.add_argument("--no-follow", action="store_true", help="return once it is queued")
    rollback.set_defaults(run=commands.rollback)

    open_ = sub.add_parser("open", help="print the app's URL and open it in a browser")
    open_.add_argument("app", metavar="APP")
    open_.add_argument("--no-browser", action="store_true", help="only print the URL")
    open_.set_defaults(run=commands.open_app)
    return parser


def _fail(message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"berth: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = os.environ.get("BERTH_CLI_DEBUG", "") not in ("", "0")
    try:
        code: int = args.run(args)
        return code
    except CliError as exc:
        if debug:
            raise
        return _fail(exc.message, exc.code)
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the ^C was echoed on
        return INTERRUPTED
    except BrokenPipeError:
        # The reader (``| head``) left; nothing more to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except Exception as exc:
        if debug:
            raise
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (BERTH_CLI_DEBUG=1 shows where)", FAILED
        )
