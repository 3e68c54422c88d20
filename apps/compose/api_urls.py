"""/api/v1/stacks/... (included by paas.api_urls)."""

from django.urls import path

from apps.compose import api

urlpatterns = [
    path("stacks/", api.StackList.as_view(), name="api-stacks"),
    path("stacks/<str:name>/", api.StackDetail.as_view(), name="api-stack"),
]
