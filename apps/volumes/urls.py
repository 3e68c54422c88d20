"""Portal URLs of volumes (under /t/<slug>/volumes/) and of an app's Volumes tab
(``app_patterns``, under /t/<slug>/apps/), both included by paas.portal_urls."""

from django.urls import path

from apps.volumes import views

urlpatterns = [
    path("", views.volume_list, name="volume-list"),
    path("<str:name>/", views.volume_detail, name="volume-detail"),
    path("<str:name>/backup/", views.volume_backup, name="volume-backup"),
    path("<str:name>/restore/", views.volume_restore, name="volume-restore"),
    path("<str:name>/delete/", views.volume_delete, name="volume-delete"),
]

app_patterns = [
    path("<str:name>/volumes/", views.app_mounts, name="app-mounts"),
    path(
        "<str:name>/volumes/<int:mount_id>/detach/",
        views.app_mount_detach,
        name="app-mount-detach",
    ),
]
