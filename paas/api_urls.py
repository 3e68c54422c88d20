"""/api/v1/: each Django app adds its routes here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from paas.api import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("apps.api_urls")),
    path("", include("apps.git.api_urls")),
    path("", include("apps.volumes.api_urls")),
    path("", include("apps.compose.api_urls")),
    path("", include("routing.api_urls")),
    path("", include("nodes.api_urls")),
]
