from django.contrib import admin
from django.urls import include, path

from paas.apps import load_admin

# Each app's admin module, found here rather than when Django starts (the worker serves
# no URL and does not need them).
load_admin()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("paas.api_urls")),
    # Push webhooks of git hosts: authenticated by their signature, not a session or token.
    path("hooks/", include("apps.git.hook_urls")),
    path("", include("paas.portal_urls")),
]
