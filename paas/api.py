"""Team-level API endpoints, and the DRF permission that maps methods to levels."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from paas.access import Level, principal_for
from paas.models import Membership


class MeSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["token", "user"])
    name = serializers.CharField()
    teams = serializers.ListField(child=serializers.DictField())
    scopes = serializers.ListField(child=serializers.CharField(), required=False)


class MeView(APIView):
    @extend_schema(
        responses=MeSerializer,
        description="Who the request acts as: the token's team and scopes, "
        "or the user's teams and roles.",
    )
    def get(self, request: Request) -> Response:
        principal = principal_for(request)
        if principal.token is not None:
            token = principal.token
            return Response(
                {
                    "kind": "token",
                    "name": token.name,
                    "prefix": token.prefix,
                    "scopes": token.scopes,
                    "teams": [{"slug": token.team.slug, "name": token.team.name}],
                }
            )
        memberships = Membership.objects.select_related("team").filter(
            user__pk=request.user.pk or 0
        )
        return Response(
            {
                "kind": "user",
                "name": request.user.get_username(),
                "teams": [
                    {"slug": m.team.slug, "name": m.team.name, "role": m.role} for m in memberships
                ],
            }
        )


class MethodLevel(permissions.BasePermission):
    """Safe methods need read; writes need the view's ``write_level`` (deploy by default).

    Object-level access (404 for outsiders) is done by the view's scoped lookup;
    this only stops a token from writing without the scope before any work.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = principal_for(request)
        if principal.token is None:
            return bool(request.user and request.user.is_authenticated)
        needed = (
            Level.READ
            if request.method in permissions.SAFE_METHODS
            else getattr(view, "write_level", Level.DEPLOY)
        )
        return max(principal.levels().values(), default=0) >= needed
