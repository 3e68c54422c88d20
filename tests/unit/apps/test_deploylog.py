"""The deployment log: appended in batches, capped with its start and its end kept."""

from __future__ import annotations

import pytest

from apps import services
from apps.deploylog import DeployLog, capped
from apps.models import Deployment, Source

pytestmark = pytest.mark.django_db


def test_capped_keeps_the_head_and_the_tail():
    text = "".join(f"line {i}\n" for i in range(10_000))

    cut, removed = capped(text, 10_000)

    assert len(cut) <= 10_000
    assert removed > 0
    assert cut.startswith("line 0\n")
    assert cut.endswith("line 9999\n")
    assert f"{removed} characters of log cut" in cut


def test_short_text_is_left_alone():
    assert capped("abc", 100) == ("abc", 0)


@pytest.fixture
def deployment(people):
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="logged")
    return Deployment.objects.create(app=app, number=1, source=Source.IMAGE)


def test_writes_are_appended_to_the_row(deployment):
    log = DeployLog(deployment.pk, limit=10_000)

    log.write("Step 1/2\n")
    log.write("Step 2/2\n")
    log.flush()

    deployment.refresh_from_db()
    assert deployment.log == "Step 1/2\nStep 2/2\n"
    assert not deployment.log_truncated


def test_a_log_over_the_limit_is_cut_and_flagged(deployment):
    log = DeployLog(deployment.pk, limit=10_000)

    for i in range(3000):
        log.write(f"output line {i}\n")
    log.write("ERROR: the end\n")
    log.flush()

    deployment.refresh_from_db()
    assert len(deployment.log) <= 10_000
    assert deployment.log_truncated
    assert deployment.log.startswith("output line 0\n")
    assert deployment.log.endswith("ERROR: the end\n")
