"""What each subcommand does; ``main`` parses the arguments and reports failures."""

from __future__ import annotations

import argparse
import getpass
import sys
import webbrowser
from pathlib import Path
from typing import Any

from berth_cli import config, source
from berth_cli.client import Api, app_path
from berth_cli.errors import FAILED, USAGE, CliError
from berth_cli.follow import Follower

OK = 0


def _api() -> Api:
    settings = config.load()
    return Api(settings.url, settings.token)


def _app_subject(app: str) -> str:
    return f"app '{app}'"


def _read_token() -> str:
    if sys.stdin.isatty():
        token = getpass.getpass("API token (made in the portal under your team's tokens): ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError("no token given", USAGE)
    return token


def _describe(me: dict[str, Any]) -> str:
    teams = ", ".join(str(team.get("slug") or team.get("name")) for team in me.get("teams", []))
    scopes = ", ".join(me.get("scopes") or [])
    who = f"team {teams}" if teams else str(me.get("name", "?"))
    return f"{who} (scopes: {scopes})" if scopes else who


def login(args: argparse.Namespace) -> int:
    url = config.normalise_url(args.url)
    token = (args.token or _read_token()).strip()
    me = Api(url, token).get("me/", subject=f"the Berth API at {url}/api/v1/")
    if not isinstance(me, dict) or "teams" not in me:
        raise CliError(f"{url} answered /api/v1/me/ oddly: is it a Berth portal?", USAGE)
    path = config.save(config.Config(url=url, token=token))
    print(f"Logged in to {url} as {_describe(me)}; saved to {path}")
    return OK


def _status_of(app: dict[str, Any]) -> str:
    """The latest deployment, and which one runs when that is another (one failed since)."""
    latest = app.get("latest_deployment")
    current = app.get("current_deployment")
    if not isinstance(latest, dict):
        return "-"
    text = f"#{latest.get('number')} {str(latest.get('status', '')).replace('_', ' ')}"
    if isinstance(current, dict) and current.get("number") != latest.get("number"):
        text += f" (runs #{current.get('number')})"
    return text


def apps_list(args: argparse.Namespace) -> int:
    apps = list(_api().iter_items("apps/"))
    if not apps:
        print("No apps yet: create one with 'berth apps create NAME'.")
        return OK
    rows = [("NAME", "INSTANCES", "DEPLOYMENT", "URL")]
    rows += [
        (
            str(app.get("name", "")),
            str(app.get("instances", "")),
            _status_of(app),
            str(app.get("url") or ""),
        )
        for app in apps
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return OK


def apps_create(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"name": args.name}
    if args.port is not None:
        body["container_port"] = args.port
    if args.instances is not None:
        body["instances"] = args.instances
    app = _api().post("apps/", json=body)
    url = app.get("url") if isinstance(app, dict) else None
    print(f"Created app {args.name}" + (f": {url}" if url else ""))
    return OK


def _finish(api: Api, app: str, deployment: dict[str, Any], *, follow: bool) -> int:
    number = int(deployment["number"])
    if not follow:
        print(f"Deployment #{number} of {app} is {deployment.get('status', 'queued')}.")
        return OK
    final = Follower(api=api, app=app, number=number).run()
    status = str(final.get("status"))
    if status == "healthy":
        url = _app_url(api, app, quiet=True)
        print(f"{app} #{number} is healthy" + (f": {url}" if url else "."))
        return OK
    reason = str(final.get("reason") or "").strip()
    raise CliError(
        f"deployment #{number} of {app} {status.replace('_', ' ')}"
        + (f": {reason}" if reason else ""),
        FAILED,
    )


def deploy(args: argparse.Namespace) -> int:
    app = args.app_option or args.app
    if not app:
        raise CliError("which app? give its name: berth deploy APP", USAGE)
    if args.app and args.app_option and args.app != args.app_option:
        raise CliError(f"two app names given: {args.app!r} and {args.app_option!r}", USAGE)
    api = _api()
    path = app_path(app, "deployments")
    subject = _app_subject(app)
    if args.image:
        deployment = api.post(path, subject=subject, json={"image": args.image})
    else:
        folder = Path.cwd()
        tarball, selection = source.pack(folder)
        with tarball:
            size = tarball.seek(0, 2)
            tarball.seek(0)
            how = "tracked by git" if selection.via_git else "in the folder"
            count = len(selection.files)
            files = "1 file" if count == 1 else f"{count} files"
            print(f"Uploading {files} {how} ({_size(size)}) to {app}...")
            deployment = api.upload(
                path, subject=subject, field="source", name=f"{folder.name}.tar.gz", data=tarball
            )
    print(f"Deployment #{deployment['number']} of {app} queued.")
    return _finish(api, app, deployment, follow=not args.no_follow)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def logs(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"tail": args.tail}
    if args.follow:
        params["follow"] = 1
    out = sys.stdout
    for chunk in _api().stream_text(
        app_path(args.app, "logs"), subject=_app_subject(args.app), **params
    ):
        out.write(chunk)
        out.flush()
    return OK


def rollback(args: argparse.Namespace) -> int:
    api = _api()
    number = args.number if args.number is not None else _previous_healthy(api, args.app)
    deployment = api.post(
        app_path(args.app, "deployments", number, "rollback"),
        subject=f"deployment #{number} of app '{args.app}'",
    )
    print(f"Rolling {args.app} back to #{number} as deployment #{deployment['number']}.")
    return _finish(api, args.app, deployment, follow=not args.no_follow)


def _previous_healthy(api: Api, app: str) -> int:
    """The latest healthy deployment older than the one running now."""
    current = api.get(app_path(app), subject=_app_subject(app)).get("current_deployment")
    if not current:
        raise CliError(f"{app} runs no deployment yet: nothing to roll back from")
    running = int(current["number"])
    for deployment in api.iter_items(app_path(app, "deployments"), subject=_app_subject(app)):
        if deployment.get("status") == "healthy" and int(deployment["number"]) < running:
            return int(deployment["number"])
    raise CliError(f"{app} has no healthy deployment before #{running} to roll back to")


def _app_url(api: Api, app: str, *, quiet: bool = False) -> str | None:
    data = api.get(app_path(app), subject=_app_subject(app))
    url = data.get("url") if isinstance(data, dict) else None
    if not url and not quiet:
        raise CliError(f"{app} has no URL (an internal app, or not routed)")
    return str(url) if url else None


def open_app(args: argparse.Namespace) -> int:
    url = _app_url(_api(), args.app)
    print(url)
    if not args.no_browser:
        webbrowser.open(str(url))
    return OK
