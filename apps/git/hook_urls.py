"""/hooks/<app>/<id>/: push webhooks, outside the token API (included by paas.urls)."""

from django.urls import path

from apps.git import hook_view

urlpatterns = [
    path("<str:name>/<str:hook_id>/", hook_view.webhook, name="git-webhook"),
]
