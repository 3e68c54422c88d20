from typing import Any

from django.apps import AppConfig
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


class PaasConfig(AppConfig):
    name = "paas"
    verbose_name = "Berth: teams and access"


def load_admin() -> None:
    """Import each app's admin module, after django-stubs' patch that lets them write
    ``ModelAdmin[Team]`` at run time (it imports the admin, feeds and sitemaps).

    The URLs call it (paas/urls.py) and so do the admin's system checks, not Django's
    start: the worker, which serves no URL and skips the checks, holds neither
    (1.2 MiB and ~35 modules).
    """
    import django_stubs_ext
    from django.contrib import admin

    django_stubs_ext.monkeypatch()
    admin.autodiscover()


def _check_admin(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    # The checks of every registered ModelAdmin, whichever check runs first.
    load_admin()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    """Django's admin, whose apps' modules :func:`load_admin` loads."""

    def ready(self) -> None:
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(_check_admin, checks.Tags.admin)
