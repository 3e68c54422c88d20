"""/api/v1/volumes/... and /api/v1/apps/{name}/mounts/ (included by paas.api_urls)."""

from django.urls import path

from apps.volumes import api

urlpatterns = [
    path("volumes/", api.VolumeList.as_view(), name="api-volumes"),
    path("volumes/<str:name>/", api.VolumeDetail.as_view(), name="api-volume"),
    path("volumes/<str:name>/backup/", api.VolumeBackup.as_view(), name="api-volume-backup"),
    path("volumes/<str:name>/restore/", api.VolumeRestore.as_view(), name="api-volume-restore"),
    path("apps/<str:name>/mounts/", api.MountList.as_view(), name="api-app-mounts"),
    path("apps/<str:name>/mounts/<int:mount_id>/", api.MountDetail.as_view(), name="api-app-mount"),
]
