"""/api/v1/apps/{name}/git/...: the app's git source, its webhook secret, a deploy now.

Reading needs the read level; changing anything needs deploy (a viewer gets
403, an outsider 404 through the scoped app lookup).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api import AppsView
from apps.git import services
from apps.git.models import GitSource
from apps.git.serializers import (
    GitDeploySerializer,
    GitSourceSerializer,
    GitSourceWriteSerializer,
    WebhookSecretSerializer,
)
from apps.models import App
from apps.serializers import DeploymentDetailSerializer
from paas.access import Level


class NoSource(exceptions.NotFound):
    default_detail = "This app has no git source."
    default_code = "no_git_source"


def _source(app: App) -> GitSource:
    source = services.source_of(app)
    if source is None:
        raise NoSource()
    return source


def webhook_url(request: Request, source: GitSource, app: App) -> str:
    return request.build_absolute_uri(services.webhook_path(source, app.name))


def _shown(request: Request, source: GitSource, app: App, **extra: Any) -> dict[str, Any]:
    data = dict(
        GitSourceSerializer(source, context={"webhook_url": webhook_url(request, source, app)}).data
    )
    return {**data, **extra}


class GitSourceView(AppsView):
    @extend_schema(responses=GitSourceSerializer)
    def get(self, request: Request, name: str) -> Response:
        app = self.app(name)
        return Response(_shown(request, _source(app), app))

    @extend_schema(
        request=GitSourceWriteSerializer,
        responses={200: GitSourceSerializer, 201: GitSourceSerializer},
        description="Create or change the git source. Credentials not given are kept; "
        "on creation the answer carries `webhook_secret`, shown this once.",
    )
    def put(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = GitSourceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.configure(app=app, principal=self.principal(), **data.validated_data)
        extra = {"webhook_secret": done.webhook_secret} if done.webhook_secret else {}
        return Response(
            _shown(request, done.source, app, **extra),
            status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK,
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        _source(app)
        services.remove(app=app, principal=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)


class GitSecretView(AppsView):
    @extend_schema(
        request=None,
        responses=WebhookSecretSerializer,
        description="Make a new webhook secret; the old one stops working at once.",
    )
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        _source(app)
        source, secret = services.regenerate_secret(app=app, principal=self.principal())
        return Response(
            {"webhook_url": webhook_url(request, source, app), "webhook_secret": secret}
        )


class GitDeployView(AppsView):
    @extend_schema(
        request=GitDeploySerializer,
        responses={202: DeploymentDetailSerializer},
        description="Deploy a commit (the branch's tip if none is given) now.",
    )
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        _source(app)
        data = GitDeploySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deployment = services.deploy_commit(
            app=app, principal=self.principal(), sha=data.validated_data.get("commit", "")
        )
        return Response(
            DeploymentDetailSerializer(deployment).data, status=status.HTTP_202_ACCEPTED
        )
