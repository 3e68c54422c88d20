"""/api/v1/stacks/...: thin views over apps.compose.services and selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api import Pages, team_for_create
from apps.compose import selectors, services
from apps.compose.models import Stack
from apps.compose.serializers import (
    StackCreateSerializer,
    StackSerializer,
    StackWriteSerializer,
    stack_data,
)
from paas.access import Level, Principal, principal_for
from paas.api import MethodLevel


def _flag(request: Request, key: str) -> bool:
    return str(request.query_params.get(key, "")).lower() in ("1", "true", "yes")


def _upload(values: dict[str, Any]) -> Any:
    upload = values.get("source")
    if upload is None:
        return None
    limit = settings.BERTH_UPLOAD_LIMIT_MB
    if upload.size > limit * 1024 * 1024:
        raise ValidationError({"source": f"The upload is larger than {limit} MB."})
    return upload


class StacksView(APIView):
    permission_classes = [IsAuthenticated, MethodLevel]
    write_level = Level.DEPLOY

    def principal(self) -> Principal:
        return principal_for(self.request)

    def answer(self, stack: Stack, *, code: int = status.HTTP_200_OK) -> Response:
        stack = Stack.objects.select_related("team").get(pk=stack.pk)
        return Response(stack_data(stack, selectors.services_of(stack), detail=True), status=code)


class StackList(StacksView):
    @extend_schema(responses=StackSerializer(many=True))
    def get(self, request: Request) -> Response:
        stacks = selectors.stacks_for(self.principal(), team_slug=request.query_params.get("team"))
        pages = Pages()
        page = pages.paginate_queryset(stacks, request, view=self) or []
        return pages.get_paginated_response([stack_data(s, selectors.services_of(s)) for s in page])

    @extend_schema(
        request={
            "application/json": StackCreateSerializer,
            "multipart/form-data": StackCreateSerializer,
        },
        responses={202: StackSerializer},
    )
    def post(self, request: Request) -> Response:
        data = StackCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        principal = self.principal()
        team = team_for_create(principal, values.get("team"))
        stack = services.apply_stack(
            team=team,
            principal=principal,
            name=values["name"],
            compose=values.get("compose") or None,
            variables=values.get("variables"),
            ignore_unsupported=values.get("ignore_unsupported", False),
            upload=_upload(values),
        )
        return self.answer(stack, code=status.HTTP_202_ACCEPTED)


class StackDetail(StacksView):
    def stack(self, name: str, level: Level = Level.READ) -> Stack:
        return selectors.get_stack(self.principal(), name, level)

    @extend_schema(responses=StackSerializer)
    def get(self, request: Request, name: str) -> Response:
        return self.answer(self.stack(name))

    @extend_schema(
        parameters=[
            OpenApiParameter("prune", bool, description="Delete services the file dropped.")
        ],
        request={
            "application/json": StackWriteSerializer,
            "multipart/form-data": StackWriteSerializer,
        },
        responses={202: StackSerializer},
    )
    def put(self, request: Request, name: str) -> Response:
        stack = self.stack(name, Level.DEPLOY)
        data = StackWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        variables = values.get("variables")
        if "variables" not in request.data:
            variables = services.variables_of(stack)  # kept unless given
        stack = services.apply_stack(
            team=stack.team,
            principal=self.principal(),
            name=stack.name,
            compose=values.get("compose") or None,
            variables=variables,
            ignore_unsupported=values.get("ignore_unsupported", False),
            upload=_upload(values),
            prune=_flag(request, "prune"),
            existing=stack,
        )
        return self.answer(stack, code=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[OpenApiParameter("volumes", bool, description="Delete its named volumes too.")],
        responses={202: OpenApiResponse(description="Deletion started.")},
    )
    def delete(self, request: Request, name: str) -> Response:
        stack = self.stack(name, Level.ADMIN)
        services.delete_stack(
            stack=stack, principal=self.principal(), volumes=_flag(request, "volumes")
        )
        return Response({"name": name, "deleting": True}, status=status.HTTP_202_ACCEPTED)
