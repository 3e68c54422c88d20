"""The Celery application: Redis broker, late acks, tasks discovered per Django app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")

app = Celery("berth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules below a Django app's own package.
app.autodiscover_tasks(["apps.volumes"])
