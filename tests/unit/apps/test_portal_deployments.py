"""Deploying from the portal, the live deployment page and the logs page."""

from __future__ import annotations

import io
import json

import pytest

from apps import services
from apps.models import App, Deployment, Source, Status

pytestmark = pytest.mark.django_db
BASE = "/t/acme/apps/shop/"


@pytest.fixture
def shop(people):
    return services.create_app(team=people.team, principal=people.principal("owner"), name="shop")


def test_deploying_an_image_goes_to_the_live_page(as_, shop):
    response = as_("developer").post(BASE + "deploy/", {"image": "nginx:1.27"})

    assert response.status_code == 302
    assert response["Location"] == BASE + "deployments/1/"
    deployment = Deployment.objects.get()
    assert deployment.image == "nginx:1.27"
    assert deployment.created_by == "developer"


def test_deploying_a_pasted_captain_definition(as_, shop):
    definition = json.dumps({"schemaVersion": 2, "imageName": "nginx:1.27"})

    response = as_("developer").post(BASE + "deploy/", {"definition": definition})

    assert response.status_code == 302
    assert Deployment.objects.get().source == Source.DEFINITION


def test_a_hostile_tarball_upload_shows_why_on_the_page(as_, shop, settings, tmp_path):
    import tarfile

    settings.DATA_DIR = tmp_path
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("/etc/passwd")
        tar.addfile(info, io.BytesIO(b""))
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "evil.tgz"

    response = as_("developer").post(BASE + "deploy/", {"source": upload})

    assert response.status_code == 400
    assert "absolute paths are not allowed" in response.content.decode()
    assert not Deployment.objects.exists()


def test_deploying_with_no_or_two_sources_is_explained(as_, shop):
    response = as_("developer").post(BASE + "deploy/", {"image": "a:1", "definition": "{}"})

    assert response.status_code == 400
    assert "Give one of" in response.content.decode()


def test_a_viewer_cannot_deploy_and_sees_no_deploy_form(as_, shop):
    client = as_("viewer")

    assert client.post(BASE + "deploy/", {"image": "nginx:1"}).status_code == 403
    assert "Deploy</button>" not in client.get(BASE).content.decode()


def test_the_live_page_polls_while_active_and_sends_only_new_log(as_, shop):
    deployment = Deployment.objects.create(
        app=shop, number=1, source=Source.IMAGE, status=Status.BUILDING, log="Step 1/3\n"
    )
    client = as_("viewer")

    page = client.get(BASE + "deployments/1/").content.decode()
    Deployment.objects.filter(pk=deployment.pk).update(log="Step 1/3\nStep 2/3\n")
    live = client.get(BASE + "deployments/1/?since=9", HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 1s"' in page
    assert "Step 1/3" in page
    assert "Step 2/3" in live
    assert "Step 1/3" not in live  # only what the page does not have yet
    assert 'hx-swap-oob="beforeend:#log"' in live
    assert "?since=18" in live


def test_the_live_page_stops_polling_when_the_deployment_ends(as_, shop):
    Deployment.objects.create(
        app=shop, number=1, source=Source.IMAGE, status=Status.FAILED, reason="No such image: x"
    )

    live = (
        as_("viewer").get(BASE + "deployments/1/?since=0", HTTP_HX_REQUEST="true").content.decode()
    )

    assert "every 1s" not in live
    assert 'data-finished="failed"' in live
    assert "No such image: x" in live


def test_cancel_and_rollback_buttons_follow_the_state(as_, shop):
    Deployment.objects.create(
        app=shop, number=1, source=Source.IMAGE, image="a:1", status=Status.HEALTHY
    )
    Deployment.objects.create(
        app=shop, number=2, source=Source.IMAGE, image="a:2", status=Status.DEPLOYING
    )
    App.objects.filter(pk=shop.pk).update(current_deployment=None)
    client = as_("developer")

    old = client.get(BASE + "deployments/1/").content.decode()
    running = client.get(BASE + "deployments/2/").content.decode()
    cancel = client.post(BASE + "deployments/2/cancel/")

    assert "Roll back to this" in old
    assert "Cancel</button>" in running
    assert cancel.status_code == 302
    assert Deployment.objects.get(number=2).cancel_requested


def test_rolling_back_from_the_portal_makes_a_new_deployment(as_, shop):
    Deployment.objects.create(
        app=shop, number=1, source=Source.IMAGE, image="a:1", status=Status.HEALTHY
    )

    response = as_("developer").post(BASE + "deployments/1/rollback/")

    assert response["Location"] == BASE + "deployments/2/"
    assert Deployment.objects.get(number=2).rollback_of == Deployment.objects.get(number=1)


def test_an_unknown_deployment_is_404(as_, shop):
    assert as_("owner").get(BASE + "deployments/7/").status_code == 404


def test_the_logs_page_of_a_never_deployed_app_says_so(as_, shop, monkeypatch):
    from apps import logs
    from paas.transport import NotFound

    def missing(name, count):
        raise NotFound("no such service")

    monkeypatch.setattr(logs, "tail", missing)

    page = as_("viewer").get(BASE + "logs/").content.decode()

    assert "deploy it to see its logs" in page
    assert 'hx-trigger="every 2s"' in page
