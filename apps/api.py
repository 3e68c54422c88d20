"""/api/v1/apps/...: thin views over apps.services, apps.deploy and apps.selectors.

Every app is fetched through :func:`apps.selectors.get_app` (404 for outsiders,
403 below the level); a token's scopes are checked first by ``MethodLevel``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps import deploy, logs, selectors, services
from apps.models import App, AppSecret
from apps.serializers import (
    AppCreateSerializer,
    AppSerializer,
    AppSettingsSerializer,
    DeploymentCreateSerializer,
    DeploymentDetailSerializer,
    DeploymentSerializer,
    SecretSerializer,
    SecretWriteSerializer,
    app_row,
)
from paas.access import Level, Principal, get_team, principal_for
from paas.api import MethodLevel
from paas.models import Team
from paas.transport import EngineError, NotFound


class Pages(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class NotRunning(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_running"
    default_detail = "The app has no running service yet: deploy it first."


class EngineDown(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "engine_unavailable"


class TooManyStreams(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_streams"


class AppsView(APIView):
    permission_classes = [IsAuthenticated, MethodLevel]
    write_level = Level.DEPLOY

    def principal(self) -> Principal:
        return principal_for(self.request)

    def app(self, name: str, level: Level = Level.READ) -> App:
        return selectors.get_app(self.principal(), name, level)


def team_for_create(principal: Principal, slug: str | None) -> Team:
    if principal.token is not None:
        team = principal.token.team
        if slug and slug != team.slug:
            raise ValidationError({"team": f"This token acts for the team {team.slug!r} only."})
        return team
    if slug:
        return get_team(principal, Level.DEPLOY, slug=slug)
    ids = principal.team_ids()
    if not ids:
        raise PermissionDenied("You are not in a team yet.")
    if len(ids) > 1:
        raise ValidationError({"team": "You are in several teams: give the team's slug."})
    return Team.objects.get(pk=ids[0])


class AppList(AppsView):
    @extend_schema(responses=AppSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.app_rows(self.principal(), team_slug=request.query_params.get("team"))
        pages = Pages()
        page = pages.paginate_queryset(rows, request, view=self) or []
        return pages.get_paginated_response([app_row(row) for row in page])

    @extend_schema(request=AppCreateSerializer, responses={201: AppSerializer})
    def post(self, request: Request) -> Response:
        data = AppCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        name = values.pop("name")
        team = team_for_create(self.principal(), values.pop("team", None))
        app = services.create_app(team=team, principal=self.principal(), name=name, **values)
        app = selectors.get_app(self.principal(), app.name)
        return Response(AppSerializer(app).data, status=status.HTTP_201_CREATED)


class AppDetail(AppsView):
    @extend_schema(responses=AppSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(AppSerializer(self.app(name)).data)

    @extend_schema(request=AppSettingsSerializer, responses=AppSerializer)
    def patch(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = AppSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        extra = sorted(set(request.data) - set(AppSettingsSerializer().fields))
        if extra:
            raise ValidationError(
                {key: "This setting does not exist or cannot be changed." for key in extra}
            )
        services.update_app(app=app, principal=self.principal(), **data.validated_data)
        return Response(AppSerializer(self.app(name)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "delete_volumes",
                bool,
                description="Also delete the volumes it mounts (those no other app uses).",
            )
        ],
        responses={202: OpenApiResponse(description="Deletion started.")},
    )
    def delete(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.ADMIN)
        deleted, kept = services.delete_app(
            app=app, principal=self.principal(), delete_volumes=_flag(request, "delete_volumes")
        )
        body = {"name": name, "deleting": True, "volumes_deleted": deleted, "volumes_kept": kept}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SecretList(AppsView):
    @extend_schema(responses=SecretSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        app = self.app(name)
        return Response(SecretSerializer(selectors.secrets_of(app), many=True).data)

    @extend_schema(request=SecretWriteSerializer, responses={201: SecretSerializer})
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = SecretWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        secret = services.set_secret(app=app, principal=self.principal(), **data.validated_data)
        return Response(SecretSerializer(secret).data, status=status.HTTP_201_CREATED)


class SecretDetail(AppsView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, secret: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        row = AppSecret.objects.filter(app=app, name=secret).first()
        if row is None:
            raise exceptions.NotFound()
        services.delete_secret(secret=row, principal=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeploymentList(AppsView):
    @extend_schema(responses=DeploymentSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        app = self.app(name)
        pages = Pages()
        queryset = selectors.deployments_of(app).select_related("app", "rollback_of")
        page = pages.paginate_queryset(queryset, request, view=self)
        return pages.get_paginated_response(DeploymentSerializer(page, many=True).data)

    @extend_schema(
        request={
            "application/json": DeploymentCreateSerializer,
            "multipart/form-data": DeploymentCreateSerializer,
        },
        responses={202: DeploymentDetailSerializer},
    )
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = DeploymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        principal = self.principal()
        if values.get("image"):
            deployment = deploy.deploy_image(app=app, principal=principal, image=values["image"])
        elif values.get("definition"):
            deployment = deploy.deploy_definition(
                app=app, principal=principal, text=values["definition"]
            )
        else:
            upload = values["source"]
            limit = settings.BERTH_UPLOAD_LIMIT_MB
            if upload.size > limit * 1024 * 1024:
                raise ValidationError({"source": f"The upload is larger than {limit} MB."})
            deployment = deploy.deploy_tarball(
                app=app, principal=principal, upload=upload, filename=upload.name or ""
            )
        return Response(
            DeploymentDetailSerializer(deployment).data, status=status.HTTP_202_ACCEPTED
        )


class DeploymentDetail(AppsView):
    @extend_schema(responses=DeploymentDetailSerializer)
    def get(self, request: Request, name: str, number: int) -> Response:
        deployment = selectors.get_deployment(self.app(name), number)
        return Response(DeploymentDetailSerializer(deployment).data)


class DeploymentRollback(AppsView):
    @extend_schema(request=None, responses={202: DeploymentDetailSerializer})
    def post(self, request: Request, name: str, number: int) -> Response:
        target = selectors.get_deployment(self.app(name, Level.DEPLOY), number)
        deployment = deploy.rollback(deployment=target, principal=self.principal())
        return Response(
            DeploymentDetailSerializer(deployment).data, status=status.HTTP_202_ACCEPTED
        )


class DeploymentCancel(AppsView):
    @extend_schema(request=None, responses=DeploymentDetailSerializer)
    def post(self, request: Request, name: str, number: int) -> Response:
        target = selectors.get_deployment(self.app(name, Level.DEPLOY), number)
        deployment = deploy.cancel(deployment=target, principal=self.principal())
        return Response(DeploymentDetailSerializer(deployment).data)


def _int(request: Request, key: str, default: int, top: int) -> int:
    raw = request.query_params.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ValidationError({key: "Give a whole number."}) from None
    if not 1 <= value <= top:
        raise ValidationError({key: f"Give a number from 1 to {top}."})
    return value


def _flag(request: Request, key: str) -> bool:
    return str(request.query_params.get(key, "")).lower() in ("1", "true", "yes")


class AppLogs(AppsView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tail", int, description="Lines to show (default 200)."),
            OpenApiParameter("follow", bool, description="Keep streaming new lines."),
            OpenApiParameter("timestamps", bool, description="Prefix each line with its time."),
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def get(self, request: Request, name: str) -> Any:
        app = self.app(name)
        count = _int(request, "tail", 200, logs.MAX_TAIL)
        timestamps = _flag(request, "timestamps")
        if app.current_deployment_id is None and not app.deployments.exists():
            raise NotRunning()
        try:
            if not _flag(request, "follow"):
                text = "".join(
                    line.render(timestamps=timestamps) for line in logs.tail(app.name, count)
                )
                return StreamingHttpResponse([text], content_type="text/plain; charset=utf-8")
            # Fail before the stream starts, where an error can still be a proper answer.
            logs.tail(app.name, 1)
        except NotFound:
            raise NotRunning() from None
        except EngineError as exc:
            raise EngineDown(f"The Docker engine did not answer: {exc}") from None
        try:
            release = logs.SLOTS.take(app.team_id, settings.BERTH_LOG_FOLLOW_LIMIT)
        except logs.TooManyStreams as exc:
            raise TooManyStreams(str(exc)) from None
        lines = logs.follow(
            app.name,
            count,
            timestamps=timestamps,
            seconds=settings.BERTH_LOG_FOLLOW_SECONDS,
            # waitress says when the client (or the gateway for it) has hung up.
            gone=request.META.get("waitress.client_disconnected") or (lambda: False),
        )
        response = StreamingHttpResponse(
            logs.Followed(lines, release), content_type="text/plain; charset=utf-8"
        )
        response["X-Accel-Buffering"] = "no"  # let a proxy in front pass lines on at once
        response["Cache-Control"] = "no-cache"
        return response
