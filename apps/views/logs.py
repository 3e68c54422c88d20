"""The app's logs page: the latest lines, refreshed every two seconds while it is open."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from apps import logs
from apps.views.common import render_app, team_app
from paas.access import Level
from paas.portal import TeamRequest, team_view
from paas.transport import EngineError, NotFound

LINES = 300


def _read(app_name: str) -> tuple[str, str]:
    try:
        text = "".join(line.render(timestamps=True) for line in logs.tail(app_name, LINES))
    except NotFound:
        return "", "The app is not running: deploy it to see its logs."
    except EngineError as exc:
        return "", f"The Docker engine did not answer: {exc}"
    return text, ""


@team_view(read=Level.READ, methods=("GET",))
def app_logs(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    text, error = _read(app.name)
    context = {"text": text, "error": error, "paused": request.GET.get("paused") == "1"}
    if request.htmx:
        return render(request, "apps/_logs.html", {**context, "app": app, "team": request.team})
    return render_app(request, app, "apps/logs.html", context, tab="logs")
