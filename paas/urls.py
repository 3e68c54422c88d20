import django_stubs_ext
from django.contrib import admin
from django.urls import include, path

# Only a process that serves URLs loads the admin: each app's admin module (found here,
# not when Django starts, see INSTALLED_APPS) and django-stubs' generic classes they
# subscript (ModelAdmin[Team]), whose patch imports the admin, feeds and sitemaps. The
# worker (paas/production/worker.py) holds neither: 1.2 MiB and ~35 modules.
django_stubs_ext.monkeypatch()
admin.autodiscover()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("paas.api_urls")),
    # Push webhooks of git hosts: authenticated by their signature, not a session or token.
    path("hooks/", include("apps.git.hook_urls")),
    path("", include("paas.portal_urls")),
]
