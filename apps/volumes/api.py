"""/api/v1/volumes/... and /api/v1/apps/{name}/mounts/: thin views over apps.volumes.

Volumes are fetched through :func:`apps.volumes.selectors.get_volume` and apps
through :func:`apps.selectors.get_app` (404 for outsiders, 403 below the level).
"""

from __future__ import annotations

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps import selectors as app_selectors
from apps.api import EngineDown, Pages, team_for_create
from apps.models import App
from apps.volumes import copies, selectors, services
from apps.volumes.models import Mount, Volume
from apps.volumes.serializers import (
    MountCreateSerializer,
    MountSerializer,
    RestoreSerializer,
    VolumeCreateSerializer,
    VolumeSerializer,
)
from paas.access import Level, Principal, principal_for
from paas.api import MethodLevel
from paas.transport import EngineError

TEAM = OpenApiParameter("team", str, description="The team's slug, when several have the name.")


class InUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "volume_in_use"


class VolumesView(APIView):
    permission_classes = [IsAuthenticated, MethodLevel]
    write_level = Level.DEPLOY

    def principal(self) -> Principal:
        return principal_for(self.request)

    def volume(self, name: str, level: Level = Level.READ) -> Volume:
        return selectors.get_volume(
            self.principal(), name, level, team_slug=self.request.query_params.get("team")
        )


class VolumeList(VolumesView):
    @extend_schema(parameters=[TEAM], responses=VolumeSerializer(many=True))
    def get(self, request: Request) -> Response:
        queryset = selectors.volumes_for(self.principal())
        slug = request.query_params.get("team")
        if slug:
            queryset = queryset.filter(team__slug=slug)
        pages = Pages()
        page = pages.paginate_queryset(queryset, request, view=self) or []
        return pages.get_paginated_response(VolumeSerializer(page, many=True).data)

    @extend_schema(request=VolumeCreateSerializer, responses={201: VolumeSerializer})
    def post(self, request: Request) -> Response:
        data = VolumeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team = team_for_create(self.principal(), values.pop("team", None))
        volume = services.create_volume(team=team, principal=self.principal(), **values)
        volume = selectors.get_volume(self.principal(), volume.name, team_slug=team.slug)
        return Response(VolumeSerializer(volume).data, status=status.HTTP_201_CREATED)


class VolumeDetail(VolumesView):
    write_level = Level.ADMIN

    @extend_schema(parameters=[TEAM], responses=VolumeSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(VolumeSerializer(self.volume(name)).data)

    @extend_schema(
        parameters=[TEAM],
        responses={
            202: OpenApiResponse(description="Deletion started."),
            409: OpenApiResponse(description="Apps still mount it (named in the message)."),
        },
    )
    def delete(self, request: Request, name: str) -> Response:
        volume = self.volume(name, Level.ADMIN)
        try:
            services.delete_volume(volume=volume, principal=self.principal())
        except services.VolumeInUse as exc:
            raise InUse(exc.messages[0]) from None
        return Response({"name": name, "deleting": True}, status=status.HTTP_202_ACCEPTED)


class VolumeBackup(VolumesView):
    @extend_schema(parameters=[TEAM], responses={(200, "application/gzip"): OpenApiTypes.BINARY})
    def get(self, request: Request, name: str) -> StreamingHttpResponse:
        volume = self.volume(name, Level.DEPLOY)
        try:
            stream = copies.open_backup(volume=volume, principal=self.principal())
        except EngineError as exc:
            raise EngineDown(f"The Docker engine: {exc}") from None
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(stream, content_type="application/gzip")
        response["Content-Disposition"] = f'attachment; filename="{volume.name}-{stamp}.tar.gz"'
        response["X-Accel-Buffering"] = "no"
        response["Cache-Control"] = "no-store"
        return response


class VolumeRestore(VolumesView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[TEAM],
        request={"multipart/form-data": RestoreSerializer},
        responses={200: OpenApiResponse(description="The volume holds the archive's files.")},
    )
    def post(self, request: Request, name: str) -> Response:
        volume = self.volume(name, Level.DEPLOY)
        data = RestoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["archive"]
        limit = settings.BERTH_VOLUME_UPLOAD_LIMIT_MB
        if upload.size > limit * 1024 * 1024:
            raise exceptions.ValidationError({"archive": f"The upload is larger than {limit} MB."})
        try:
            size = copies.restore(volume=volume, principal=self.principal(), upload=upload)
        except EngineError as exc:
            raise EngineDown(f"The Docker engine: {exc}") from None
        return Response({"name": volume.name, "restored_bytes": size})


class MountsView(VolumesView):
    def app(self, name: str, level: Level = Level.READ) -> App:
        return app_selectors.get_app(self.principal(), name, level)


class MountList(MountsView):
    @extend_schema(responses=MountSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        app = self.app(name)
        return Response(MountSerializer(selectors.mounts_of(app.pk), many=True).data)

    @extend_schema(request=MountCreateSerializer, responses={201: MountSerializer})
    def post(self, request: Request, name: str) -> Response:
        app = self.app(name, Level.DEPLOY)
        data = MountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mount, deployment = services.attach(
            app=app, principal=self.principal(), **data.validated_data
        )
        body = {**MountSerializer(mount).data, "deployment": deployment and deployment.number}
        return Response(body, status=status.HTTP_201_CREATED)


class MountDetail(MountsView):
    @extend_schema(responses={200: OpenApiResponse(description="Detached.")})
    def delete(self, request: Request, name: str, mount_id: int) -> Response:
        app = self.app(name, Level.DEPLOY)
        mount = Mount.objects.filter(app=app, pk=mount_id).first()
        if mount is None:
            raise exceptions.NotFound()
        deployment = services.detach(mount=mount, principal=self.principal())
        return Response({"detached": mount_id, "deployment": deployment and deployment.number})
