"""Berth's settings: every value an operator sets comes from the environment.

The names in the README's settings table are fixed so scripts can rely on them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url

from paas.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("BERTH_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("BERTH_DEBUG", False)

BERTH_ROOT_DOMAIN = env_str("BERTH_ROOT_DOMAIN", "localhost").lower().rstrip(".")
BERTH_NAMESPACE = env_str("BERTH_NAMESPACE", "berth")
BERTH_GATEWAY = env_choice("BERTH_GATEWAY", "nginx", ("nginx", "external"))
BERTH_GATEWAY_IMAGE = env_str("BERTH_GATEWAY_IMAGE", "nginx:1.27.3-alpine")
BERTH_GATEWAY_HTTP_PORT = env_int("BERTH_GATEWAY_HTTP_PORT", 80)
BERTH_GATEWAY_HTTPS_PORT = env_int("BERTH_GATEWAY_HTTPS_PORT", 443)
BERTH_GATEWAY_DIR = Path(env_str("BERTH_GATEWAY_DIR", str(DATA_DIR / "gateway"))).resolve()
# The same folder as the engine's host sees it, when Berth itself runs in a
# container (the gateway bind-mounts it); empty means BERTH_GATEWAY_DIR.
BERTH_GATEWAY_HOST_DIR = env_optional("BERTH_GATEWAY_HOST_DIR")
# The unprivileged user the gateway's nginx workers run as (must exist in the image).
BERTH_GATEWAY_USER = env_str("BERTH_GATEWAY_USER", "nginx")
BERTH_ADVERTISE_ADDR = env_optional("BERTH_ADVERTISE_ADDR")
BERTH_WEB_PORT = env_int("BERTH_WEB_PORT", 8000, minimum=1, maximum=65535)
# Subdomain of the root domain the gateway routes to the portal when Berth runs
# as a swarm service; empty means the portal is not routed by the gateway.
BERTH_PORTAL_SUBDOMAIN = env_str("BERTH_PORTAL_SUBDOMAIN", "berth")
# host:port the gateway proxies the portal's subdomain to (e.g. tasks.berth-web:8000
# when the portal runs as a swarm service); empty: the portal is not routed.
BERTH_PORTAL_UPSTREAM = env_optional("BERTH_PORTAL_UPSTREAM")
# Serve the routed portal over HTTPS with a certificate from the ACME directory
# (routing/portal.py); its port 80 then redirects.
BERTH_PORTAL_HTTPS = env_bool("BERTH_PORTAL_HTTPS", False)
# Prefix length of the shared overlay network: /20 holds about 4000 tasks.
BERTH_NETWORK_PREFIX = env_int("BERTH_NETWORK_PREFIX", 20, minimum=8, maximum=28)
BERTH_NETWORK_SUBNET = env_optional("BERTH_NETWORK_SUBNET")
DOCKER_HOST = env_optional("DOCKER_HOST")
BERTH_DOCKER_TIMEOUT = env_int("BERTH_DOCKER_TIMEOUT", 60, minimum=1)
# Host-path bind mounts for trusted teams are allowed only under these prefixes.
BERTH_BIND_PREFIXES = env_list("BERTH_BIND_PREFIXES", [])
BERTH_HOST_PORT_RANGE = env_str("BERTH_HOST_PORT_RANGE", "10000-20000")
# Volumes: the image whose tar copies a volume in backups and restores (empty: an
# image Berth already has there), and the largest archive a restore takes.
BERTH_VOLUME_HELPER_IMAGE = env_str("BERTH_VOLUME_HELPER_IMAGE", "")
BERTH_VOLUME_UPLOAD_LIMIT_MB = env_int("BERTH_VOLUME_UPLOAD_LIMIT_MB", 2048, minimum=1)
BERTH_INVITE_DAYS = env_int("BERTH_INVITE_DAYS", 7, minimum=1)
# Apps and deployments.
BERTH_MAX_INSTANCES = env_int("BERTH_MAX_INSTANCES", 50, minimum=1)
# Seconds a rollout may take before the deployment fails and the old version is kept.
BERTH_DEPLOY_TIMEOUT = env_int("BERTH_DEPLOY_TIMEOUT", 300, minimum=10)
# Swarm watches each updated task this long for a failure before the update completes.
BERTH_DEPLOY_MONITOR_SECONDS = env_int("BERTH_DEPLOY_MONITOR_SECONDS", 3, minimum=0)
# A running deployment whose worker has not written a heartbeat for this long is failed.
BERTH_DEPLOY_STALE_SECONDS = env_int("BERTH_DEPLOY_STALE_SECONDS", 90, minimum=10)
BERTH_DEPLOY_LOG_LIMIT = env_int("BERTH_DEPLOY_LOG_LIMIT", 1_000_000, minimum=10_000)
BERTH_HEALTH_INTERVAL_SECONDS = env_int("BERTH_HEALTH_INTERVAL_SECONDS", 2, minimum=1)
# A new task gets this long to start: its health check runs every quarter second until
# it first passes, and failures in that time do not count (nor roll the deploy back).
BERTH_HEALTH_START_SECONDS = env_int("BERTH_HEALTH_START_SECONDS", 15, minimum=0)
# How long an app's task gets to stop after SIGTERM before it is killed.
BERTH_STOP_GRACE_SECONDS = env_int("BERTH_STOP_GRACE_SECONDS", 10, minimum=0)
# Try to pull an image that is not on the engine (off on air-gapped hosts).
BERTH_PULL_IMAGES = env_bool("BERTH_PULL_IMAGES", True)
BERTH_UPLOAD_LIMIT_MB = env_int("BERTH_UPLOAD_LIMIT_MB", 200, minimum=1)
BERTH_TARBALL_MAX_MB = env_int("BERTH_TARBALL_MAX_MB", 1000, minimum=1)
BERTH_TARBALL_MAX_FILES = env_int("BERTH_TARBALL_MAX_FILES", 20_000, minimum=1)
# Deploying from git: how long one fetch may take, and whether file:// URLs
# (repositories on this host's disk) are accepted; off, as any team could read them.
BERTH_GIT_TIMEOUT = env_int("BERTH_GIT_TIMEOUT", 300, minimum=5)
BERTH_GIT_FILE_URLS = env_bool("BERTH_GIT_FILE_URLS", False)
BERTH_RECONCILE_SECONDS = env_int("BERTH_RECONCILE_SECONDS", 30, minimum=5)
# The longest a followed log stream stays open (clients reconnect after).
BERTH_LOG_FOLLOW_SECONDS = env_int("BERTH_LOG_FOLLOW_SECONDS", 3600, minimum=1)
# Followed log streams open at once in one web process (each holds one of its
# BERTH_WEB_THREADS threads); a team may hold half of them (apps/logs.py).
BERTH_LOG_FOLLOW_LIMIT = env_int("BERTH_LOG_FOLLOW_LIMIT", 4, minimum=1)
# Nodes: the self-hosted registry's image and host port (on every node), and how long
# a join or a drain may take.
BERTH_REGISTRY_IMAGE = env_str("BERTH_REGISTRY_IMAGE", "registry:2")
BERTH_REGISTRY_PORT = env_int("BERTH_REGISTRY_PORT", 5000, minimum=1, maximum=65535)
BERTH_NODE_JOIN_TIMEOUT = env_int("BERTH_NODE_JOIN_TIMEOUT", 90, minimum=5)
BERTH_NODE_DRAIN_TIMEOUT = env_int("BERTH_NODE_DRAIN_TIMEOUT", 300, minimum=5)
# Fernet key for app secrets at rest; generated into the data folder when unset.
BERTH_SECRETS_KEY = env_optional("BERTH_SECRETS_KEY")
# Custom domains and certificates (routing). The ACME directory issues
# certificates over HTTP-01 answered by the gateway; one account per installation.
BERTH_ACME_DIRECTORY = env_str(
    "BERTH_ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory"
)
BERTH_ACME_EMAIL = env_str("BERTH_ACME_EMAIL", "")
# A CA bundle to trust for the ACME directory (a private ACME server); empty: the system's.
BERTH_ACME_CA_BUNDLE = env_optional("BERTH_ACME_CA_BUNDLE")
# Renew a certificate this many days before it expires.
BERTH_CERT_RENEW_DAYS = env_int("BERTH_CERT_RENEW_DAYS", 30, minimum=1)
# Connect the domain check to this address instead of resolving the domain
# (split-horizon DNS, tests); empty: resolve the domain like a visitor would.
BERTH_VERIFY_ADDRESS = env_optional("BERTH_VERIFY_ADDRESS")

ALLOWED_HOSTS = env_list(
    "BERTH_ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", f".{BERTH_ROOT_DOMAIN}"],
)
CSRF_TRUSTED_ORIGINS = env_list("BERTH_CSRF_TRUSTED_ORIGINS", [])
if env_bool("BERTH_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_SECURE = env_bool("BERTH_SECURE_COOKIES", BERTH_PORTAL_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    # The apps' admin modules load with the URLs or the checks (paas.apps.load_admin).
    "paas.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "paas",
    "apps",
    "apps.compose",
    "nodes",
    "routing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "paas.middleware.CurrentTeamMiddleware",
]

ROOT_URLCONF = "paas.urls"
WSGI_APPLICATION = "paas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "paas.context_processors.berth",
            ],
        },
    },
]

_database_url = env_optional("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "berth.sqlite3"),
            "OPTIONS": {
                # WAL lets the worker write while the portal reads.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: a real Celery worker in the tests shares it.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and "psycopg" not in sys.modules:
    # psycopg is in the portal image for DATABASE_URL; installed, REST framework imports
    # it (through django.contrib.postgres) in every process: with libpq, ~6 MB each for
    # nothing on SQLite. An import of it now fails, as if it were not installed.
    sys.modules["psycopg"] = None  # type: ignore[assignment]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts: username or email with a password; sign-up is open only for the
# first account (the operator) and for holders of an invitation.
ACCOUNT_ADAPTER = "paas.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
LOGIN_REDIRECT_URL = "dashboard"
LOGIN_URL = "account_login"
EMAIL_BACKEND = env_str("BERTH_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The portal image collects static files at build time, outside the data folder.
STATIC_ROOT = Path(env_str("BERTH_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "paas.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "paas.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Berth API",
    "DESCRIPTION": "Deploy and run apps on Docker Swarm. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Served from the package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Names for choice sets that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "DeploymentStatusEnum": "apps.models.Status",
        "SwarmRoleEnum": "nodes.models.NodeRole",
    },
}

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("BERTH_TASK_SOFT_TIME_LIMIT", 1500, minimum=10)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task acknowledged late is redelivered after this many seconds if its worker
# died; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 300}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_BEAT_SCHEDULE["apps-reconcile"] = {
    "task": "apps.tasks.reconcile_apps",
    "schedule": float(BERTH_RECONCILE_SECONDS),
}
CELERY_BEAT_SCHEDULE["apps-reap-deployments"] = {
    "task": "apps.tasks.reap_deployments",
    "schedule": 15.0,
}
# The swarm's nodes as the portal shows them; the gateway put back if it was removed.
CELERY_BEAT_SCHEDULE["nodes-sync"] = {"task": "nodes.tasks.sync_nodes", "schedule": 60.0}
# The self-hosted registry's services put back if they were removed or changed.
CELERY_BEAT_SCHEDULE["nodes-registry"] = {
    "task": "nodes.tasks.converge_registry",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["gateway-check"] = {"task": "routing.tasks.check_gateway", "schedule": 60.0}
# Certificates due for renewal, first orders, and domains still waiting for their check.
CELERY_BEAT_SCHEDULE["domains-maintain"] = {
    "task": "routing.tasks.maintain_domains",
    "schedule": 600.0,
}
# Volumes marked for deletion whose removal is still waiting (an app let go late).
CELERY_BEAT_SCHEDULE["volumes-sweep"] = {
    "task": "apps.volumes.tasks.sweep_volumes",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["stacks-maintain"] = {
    "task": "apps.compose.tasks.maintain_stacks",
    "schedule": 30.0,
}
CELERY_TIMEZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("BERTH_LOG_LEVEL", "INFO")},
    "loggers": {"docker": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
