from __future__ import annotations

import logging

from celery import shared_task

from routing import health

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def check_gateway() -> str:
    """Beat, every minute: put back a gateway service that was removed by hand."""
    return health.check_gateway()
