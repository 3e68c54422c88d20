"""/api/v1/apps/{name}/domains/ and the app's gateway options: thin views over routing.services.

The app is fetched through :func:`apps.selectors.get_app` (404 for outsiders,
403 below the level); a token's scopes are checked first by ``MethodLevel``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps import selectors as app_selectors
from apps.models import App
from paas.access import Level, Principal, principal_for
from paas.api import MethodLevel
from routing import selectors, services
from routing.models import Domain
from routing.serializers import (
    AuthUserSerializer,
    AuthUserWriteSerializer,
    CertificateUploadSerializer,
    DomainCreateSerializer,
    DomainSerializer,
    DomainUpdateSerializer,
    GatewayOptionsSerializer,
)


class RoutingView(APIView):
    permission_classes = [IsAuthenticated, MethodLevel]
    write_level = Level.DEPLOY

    def principal(self) -> Principal:
        return principal_for(self.request)

    def app(self, name: str, level: Level = Level.READ) -> App:
        return app_selectors.get_app(self.principal(), name, level)

    def domain(self, name: str, hostname: str, level: Level = Level.READ) -> Domain:
        return selectors.get_domain(self.app(name, level), hostname)


class DomainList(RoutingView):
    @extend_schema(responses=DomainSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        app = self.app(name)
        return Response(DomainSerializer(selectors.domains_of(app), many=True).data)

    @extend_schema(request=DomainCreateSerializer, responses={201: DomainSerializer})
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = DomainCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = services.add_domain(app=app, principal=self.principal(), **data.validated_data)
        domain = selectors.get_domain(app, domain.hostname)
        return Response(DomainSerializer(domain).data, status=status.HTTP_201_CREATED)


class DomainDetail(RoutingView):
    @extend_schema(responses=DomainSerializer)
    def get(self, request: Request, name: str, hostname: str) -> Response:
        return Response(DomainSerializer(self.domain(name, hostname)).data)

    @extend_schema(request=DomainUpdateSerializer, responses=DomainSerializer)
    def patch(self, request: Request, name: str, hostname: str) -> Response:
        domain = self.domain(name, hostname, Level.DEPLOY)
        data = DomainUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_domain(domain=domain, principal=self.principal(), **data.validated_data)
        return Response(DomainSerializer(self.domain(name, hostname)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, hostname: str) -> Response:
        domain = self.domain(name, hostname, Level.DEPLOY)
        services.remove_domain(domain=domain, principal=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DomainCheck(RoutingView):
    @extend_schema(request=None, responses={202: DomainSerializer})
    def post(self, request: Request, name: str, hostname: str) -> Response:
        domain = self.domain(name, hostname, Level.DEPLOY)
        services.request_check(domain=domain, principal=self.principal())
        return Response(DomainSerializer(domain).data, status=status.HTTP_202_ACCEPTED)


class DomainCertificate(RoutingView):
    @extend_schema(request=CertificateUploadSerializer, responses=DomainSerializer)
    def put(self, request: Request, name: str, hostname: str) -> Response:
        domain = self.domain(name, hostname, Level.DEPLOY)
        data = CertificateUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.upload_certificate(
            domain=domain,
            principal=self.principal(),
            chain_pem=data.validated_data["certificate"],
            key_pem=data.validated_data["key"],
        )
        return Response(DomainSerializer(self.domain(name, hostname)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, hostname: str) -> Response:
        domain = self.domain(name, hostname, Level.DEPLOY)
        services.remove_certificate(domain=domain, principal=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthUserList(RoutingView):
    @extend_schema(responses=AuthUserSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        return Response(AuthUserSerializer(selectors.auth_users_of(self.app(name)), many=True).data)

    @extend_schema(request=AuthUserWriteSerializer, responses={201: AuthUserSerializer})
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = AuthUserWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.add_auth_user(app=app, principal=self.principal(), **data.validated_data)
        return Response(AuthUserSerializer(user).data, status=status.HTTP_201_CREATED)


class AuthUserDetail(RoutingView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, username: str) -> Response:
        user = selectors.get_auth_user(self.app(name, Level.DEPLOY), username)
        services.remove_auth_user(user=user, principal=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)


class GatewayOptions(RoutingView):
    def _data(self, app: App) -> dict[str, Any]:
        options = selectors.options_of(app)
        return {"websocket": options.websocket, "snippet": options.snippet}

    @extend_schema(responses=GatewayOptionsSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(self._data(self.app(name)))

    @extend_schema(request=GatewayOptionsSerializer, responses=GatewayOptionsSerializer)
    def patch(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        extra = sorted(set(request.data) - {"websocket", "snippet"})
        if extra:
            raise ValidationError({key: "This option does not exist." for key in extra})
        data = GatewayOptionsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.set_gateway_options(app=app, principal=self.principal(), **data.validated_data)
        return Response(self._data(app))
