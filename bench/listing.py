"""Listing 1000 apps: API and portal response times over HTTP, and their query counts.

The apps each have two deployments (one healthy and current, one failed), so
the list shows real latest/current states. Times are p50/p95 of 30 requests
after 3 warm-ups; query counts are compared between 10 and 1000 apps.

Run: ``python -m bench listing`` (``BENCH_APPS`` changes the 1000). Writes
bench/results/listing-<time>.json.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from typing import Any

from bench._apps_setup import RESULTS, api_server, stage, summary, team_token

APPS = int(os.environ.get("BENCH_APPS", "1000"))
REQUESTS = 30


def make_apps(team: Any, start: int, count: int) -> None:
    from apps.models import App, Deployment, Source, Status

    apps = App.objects.bulk_create(
        App(team=team, name=f"app-{i:04d}", current_image="web:1")
        for i in range(start, start + count)
    )
    rows = []
    for app in apps:
        rows.append(
            Deployment(app=app, number=1, source=Source.IMAGE, image="web:1", status=Status.HEALTHY)
        )
        rows.append(
            Deployment(app=app, number=2, source=Source.IMAGE, image="web:2", status=Status.FAILED)
        )
    Deployment.objects.bulk_create(rows)
    for app in apps:
        first = Deployment.objects.get(app=app, number=1)
        App.objects.filter(pk=app.pk).update(current_deployment=first)


def timed(base: str, path: str, headers: dict[str, str]) -> tuple[list[float], int]:
    host, port = base.removeprefix("http://").split(":")
    times: list[float] = []
    size = 0
    for i in range(REQUESTS + 3):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        size = len(body)
        if i >= 3:
            times.append(elapsed * 1000)
    return times, size


def query_count(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def main() -> None:
    from django.test import Client

    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "apps": APPS,
    }
    with stage(gateway=False):
        from django.contrib.auth.models import User

        from paas.models import Membership, Role, Team

        token = team_token()
        team = Team.objects.get(slug="bench")
        user = User.objects.create_user("bench-viewer")  # signs in by session only
        Membership.objects.create(team=team, user=user, role=Role.VIEWER)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        portal = Client()
        portal.force_login(user)
        portal.get("/t/bench/")
        api_path, portal_path = "/api/v1/apps/?limit=1000", "/t/bench/apps/"

        make_apps(team, 0, 10)
        small = {"api": query_count(client, api_path), "portal": query_count(portal, portal_path)}
        make_apps(team, 10, APPS - 10)
        large = {"api": query_count(client, api_path), "portal": query_count(portal, portal_path)}
        report["queries"] = {"10_apps": small, f"{APPS}_apps": large}

        cookie = f"sessionid={portal.cookies['sessionid'].value}"
        with api_server() as base:
            api_times, api_size = timed(base, api_path, {"Authorization": f"Bearer {token}"})
            page_api, _ = timed(base, "/api/v1/apps/", {"Authorization": f"Bearer {token}"})
            page_times, page_size = timed(base, portal_path, {"Cookie": cookie})
            last_times, _ = timed(base, f"{portal_path}?page=last", {"Cookie": cookie})
        report["api_list_all_ms"] = {**summary(api_times), "bytes": api_size}
        report["api_default_page_ms"] = summary(page_api)
        report["portal_first_page_ms"] = {**summary(page_times), "bytes": page_size}
        report["portal_last_page_ms"] = summary(last_times)
        body = json.loads(client.get(api_path).content)
        report["api_count"] = body["count"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"listing-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    for key in (
        "api_list_all_ms",
        "api_default_page_ms",
        "portal_first_page_ms",
        "portal_last_page_ms",
    ):
        figures = report[key]
        print(
            f"{key} ({APPS} apps): p50 {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms (goal p95 < 100 ms)"
        )
    print(f"queries with 10 apps: {small}; with {APPS}: {large} (goal: the same)")
    print(f"wrote {path}")
