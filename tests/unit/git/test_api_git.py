"""/api/v1/apps/{name}/git/: set the source, credentials never shown back, the secret once."""

from __future__ import annotations

import json
import subprocess

import pytest

from apps.git.models import Auth, GitSource
from apps.models import Deployment, Source
from paas import crypto
from paas.models import AuditEvent
from tests.unit.git.conftest import REPO

pytestmark = pytest.mark.django_db

URL = "/api/v1/apps/shop/git/"
TOKEN = "ghp_" + "T0ken" * 8


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


def test_a_developer_sets_the_source_and_gets_the_webhook_secret_once(people, shop, as_user):
    client = as_user(people.developer)

    created = client.put(URL, {"repository_url": REPO, "branch": "main"}, format="json")
    again = client.get(URL)

    assert created.status_code == 201, created.json()
    body = created.json()
    source = GitSource.objects.get(app=shop)
    assert body["webhook_url"] == f"http://testserver/hooks/shop/{source.hook_id}/"
    assert len(body["webhook_secret"]) >= 40
    assert crypto.decrypt(source.webhook_secret_ciphertext) == body["webhook_secret"]
    assert body["webhook_secret"] not in source.webhook_secret_ciphertext
    assert again.status_code == 200
    assert "webhook_secret" not in again.json()
    assert again.json()["repository_url"] == REPO
    assert again.json()["credential"] is None
    assert AuditEvent.objects.get(action="git.create").actor_user == people.developer


def test_a_token_is_stored_encrypted_and_never_shown_or_audited(people, shop, as_user):
    client = as_user(people.developer)

    response = client.put(URL, {"repository_url": REPO, "token": TOKEN}, format="json")
    shown = client.get(URL)

    assert response.status_code == 201
    assert TOKEN not in json.dumps(response.json())
    assert TOKEN not in json.dumps(shown.json())
    assert shown.json()["auth"] == Auth.TOKEN
    assert shown.json()["credential"] == "••••••••"
    source = GitSource.objects.get(app=shop)
    assert TOKEN not in source.credential_ciphertext
    assert crypto.decrypt(source.credential_ciphertext) == TOKEN
    assert TOKEN not in json.dumps(list(AuditEvent.objects.values("data")))


def test_credentials_not_given_again_are_kept(people, shop, as_user):
    client = as_user(people.developer)
    client.put(URL, {"repository_url": REPO, "token": TOKEN}, format="json")

    response = client.put(URL, {"repository_url": REPO, "branch": "release"}, format="json")

    assert response.status_code == 200
    assert "webhook_secret" not in response.json()
    source = GitSource.objects.get(app=shop)
    assert source.branch == "release"
    assert crypto.decrypt(source.credential_ciphertext) == TOKEN


def test_a_stored_token_does_not_follow_the_repository_to_ssh(people, shop, as_user):
    client = as_user(people.developer)
    client.put(URL, {"repository_url": REPO, "token": TOKEN}, format="json")
    ssh = "git@git.example.com:acme/shop.git"

    refused = client.put(URL, {"repository_url": ssh}, format="json")
    cleared = client.put(URL, {"repository_url": ssh, "clear_credentials": True}, format="json")

    assert refused.status_code == 400
    assert (
        "give new credentials or clear them" in refused.json()["error"]["fields"]["repository_url"]
    )
    assert cleared.status_code == 200
    assert cleared.json()["auth"] == Auth.NONE


def test_berth_makes_an_ssh_deploy_key_and_shows_only_its_public_half(people, shop, as_user):
    response = as_user(people.developer).put(
        URL,
        {"repository_url": "ssh://git@git.example.com/acme/shop.git", "generate_key": True},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["auth"] == Auth.SSH_KEY
    assert body["public_key"].startswith("ssh-ed25519 ")
    assert body["public_key"].endswith(" berth-shop")
    assert "PRIVATE KEY" not in json.dumps(body)
    private = crypto.decrypt(GitSource.objects.get(app=shop).credential_ciphertext)
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_a_pasted_key_is_checked_and_its_public_half_derived(people, shop, as_user, tmp_path):
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    client = as_user(people.developer)
    ssh = "git@git.example.com:acme/shop.git"

    good = client.put(
        URL, {"repository_url": ssh, "ssh_private_key": key.read_text()}, format="json"
    )
    bad = client.put(
        URL,
        {
            "repository_url": ssh,
            "ssh_private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nbm9wZQ==\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
        },
        format="json",
    )

    assert good.status_code == 201, good.json()
    assert good.json()["public_key"].split()[1] == (tmp_path / "key.pub").read_text().split()[1]
    assert bad.status_code == 400
    assert "ssh-keygen cannot read this key" in bad.json()["error"]["fields"]["ssh_private_key"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"repository_url": "/srv/repos/shop.git"}, "repository_url"),
        ({"repository_url": "ssh://-oProxyCommand=x/r"}, "repository_url"),
        ({"repository_url": REPO, "branch": "-x"}, "branch"),
        ({"repository_url": REPO, "subfolder": "../etc"}, "subfolder"),
        ({"repository_url": "git@h:r.git", "token": TOKEN}, "token"),
        ({"repository_url": REPO, "generate_key": True}, "generate_key"),
        ({"repository_url": REPO, "token": TOKEN, "generate_key": True}, "generate_key"),
        ({"repository_url": "file:///srv/repo.git"}, "repository_url"),
    ],
)
def test_bad_input_is_refused_field_by_field(people, shop, as_user, data, field):
    response = as_user(people.developer).put(URL, data, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not GitSource.objects.exists()


def test_a_viewer_reads_but_cannot_configure(people, configured, as_user):
    client = as_user(people.viewer)

    assert client.get(URL).status_code == 200
    assert client.put(URL, {"repository_url": REPO}, format="json").status_code == 403
    assert client.post(URL + "secret/").status_code == 403
    assert client.post(URL + "deploy/").status_code == 403
    assert client.delete(URL).status_code == 403
    assert GitSource.objects.filter(app__name="shop").exists()


def test_an_outsider_gets_404_everywhere(people, configured, as_user):
    client = as_user(people.outsider)

    assert client.get(URL).status_code == 404
    assert client.put(URL, {"repository_url": REPO}, format="json").status_code == 404
    assert client.post(URL + "secret/").status_code == 404
    assert client.post(URL + "deploy/").status_code == 404


def test_a_read_scoped_token_cannot_configure(people, configured, token_client):
    client = token_client(people.team, "read")

    assert client.get(URL).status_code == 200
    assert client.put(URL, {"repository_url": REPO}, format="json").status_code == 403


def test_no_source_yet_is_a_404_of_the_git_endpoint_only(people, shop, as_user):
    client = as_user(people.viewer)

    assert client.get(URL).status_code == 404
    assert client.get("/api/v1/apps/shop/").status_code == 200


def test_a_new_secret_is_shown_once_and_replaces_the_old(people, configured, as_user):
    response = as_user(people.developer).post(URL + "secret/")

    assert response.status_code == 200
    secret = response.json()["webhook_secret"]
    assert secret != configured.webhook_secret
    source = GitSource.objects.get()
    assert crypto.decrypt(source.webhook_secret_ciphertext) == secret
    assert AuditEvent.objects.filter(action="git.secret_regenerate").count() == 1


def test_deploy_now_queues_the_branch_tip_or_a_given_commit(
    people, configured, as_user, django_capture_on_commit_callbacks
):
    client = as_user(people.developer)
    sha = "ab" * 20

    with django_capture_on_commit_callbacks() as callbacks:
        tip = client.post(URL + "deploy/", {}, format="json")
        exact = client.post(URL + "deploy/", {"commit": sha}, format="json")
    bad = client.post(URL + "deploy/", {"commit": "abc"}, format="json")

    assert tip.status_code == 202, tip.json()
    assert tip.json()["source"] == Source.GIT
    assert tip.json()["commit_sha"] == ""
    assert tip.json()["summary"] == "Git main"
    assert exact.status_code == 202
    assert exact.json()["commit_sha"] == sha
    assert len(callbacks) == 2
    assert bad.status_code == 400
    assert Deployment.objects.count() == 2


def test_removing_the_source_stops_its_webhook(people, configured, as_user, deliver):
    from apps.git import services
    from tests.unit.git.conftest import push

    hook = services.webhook_path(configured.source, "shop")

    response = as_user(people.developer).delete(URL)

    assert response.status_code == 204
    assert not GitSource.objects.exists()
    assert deliver(hook, push("a" * 40), secret=configured.webhook_secret).status_code == 404
    assert AuditEvent.objects.filter(action="git.remove").exists()
