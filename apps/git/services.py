"""The only writers of git sources: configure, regenerate the webhook secret, remove, deploy.

Configuring needs the deploy level (a viewer gets 403, an outsider 404 from the
scoped app lookup before this). Credentials are encrypted before they are
stored and never returned; the webhook secret is returned once, when it is
made. Audit events name what changed, never a token, key or secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps import deploy
from apps.git import keys, validation
from apps.git.models import Auth, GitSource
from apps.models import App, Deployment, Source
from paas import audit, crypto
from paas.access import Level, Principal


@dataclass(frozen=True)
class Configured:
    source: GitSource
    # The webhook secret, only when it was just made (shown once).
    webhook_secret: str | None
    created: bool


def source_of(app: App) -> GitSource | None:
    return GitSource.objects.filter(app=app).first()


def webhook_path(source: GitSource, app_name: str) -> str:
    return reverse("git-webhook", kwargs={"name": app_name, "hook_id": source.hook_id})


def webhook_secret(source: GitSource) -> str:
    return crypto.decrypt(source.webhook_secret_ciphertext)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _locked_app(app: App) -> App:
    locked = App.objects.select_for_update().get(pk=app.pk)
    if locked.deleting_at is not None:
        raise ValidationError("This app is being deleted.")
    return locked


def _credentials(
    *,
    kind: str,
    app: App,
    token: object,
    ssh_private_key: object,
    generate_key: bool,
) -> tuple[str, str, str] | None:
    """(auth, plain secret, public key) for new credentials given, None for none given."""
    given = [
        name
        for name, present in (
            ("token", token not in (None, "")),
            ("ssh_private_key", ssh_private_key not in (None, "")),
            ("generate_key", generate_key),
        )
        if present
    ]
    if len(given) > 1:
        raise ValidationError({given[1]: "Give one credential: a token or an SSH key."})
    if not given:
        return None
    if given[0] == "token":
        if kind != "https":
            raise ValidationError({"token": "A token works with an https:// URL only."})
        return Auth.TOKEN, validation.clean_token(token), ""
    if kind != "ssh":
        raise ValidationError(
            {given[0]: "An SSH key works with an ssh:// or user@host:path URL only."}
        )
    comment = f"berth-{app.name}"
    if given[0] == "generate_key":
        private, public = keys.generate(comment)
        return Auth.SSH_KEY, private, public
    private = validation.clean_private_key(ssh_private_key)
    return Auth.SSH_KEY, private, keys.public_key(private, comment)


@transaction.atomic
def configure(
    *,
    app: App,
    principal: Principal,
    repository_url: object,
    branch: object = "main",
    subfolder: object = "",
    username: object = None,
    token: object = None,
    ssh_private_key: object = None,
    generate_key: bool = False,
    clear_credentials: bool = False,
    known_hosts: object = None,
) -> Configured:
    """Set the app's git source; credentials not given are kept (they cannot be read back)."""
    principal.require(app.team_id, Level.DEPLOY)
    app = _locked_app(app)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    checks: dict[str, Callable[[], str]] = {
        "repository_url": lambda: validation.clean_repository_url(
            repository_url, allow_file=settings.BERTH_GIT_FILE_URLS
        ),
        "branch": lambda: validation.clean_branch(branch),
        "subfolder": lambda: validation.clean_subfolder(subfolder),
    }
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    kind = validation.kind_of(cleaned["repository_url"])
    source = GitSource.objects.filter(app=app).first()
    created = source is None
    if source is None:
        source = GitSource(
            app=app,
            hook_id=secrets.token_hex(16),
            webhook_secret_ciphertext="",
        )
    fresh = _credentials(
        kind=kind,
        app=app,
        token=token,
        ssh_private_key=ssh_private_key,
        generate_key=generate_key,
    )
    changed_credentials = False
    if fresh is not None:
        source.auth, plain, source.public_key = fresh
        source.credential_ciphertext = crypto.encrypt(plain)
        changed_credentials = True
    elif clear_credentials and source.auth != Auth.NONE:
        source.auth, source.credential_ciphertext, source.public_key = Auth.NONE, "", ""
        changed_credentials = True
    wanted = {Auth.TOKEN: "https", Auth.SSH_KEY: "ssh"}.get(Auth(source.auth))
    if wanted is not None and wanted != kind:
        raise ValidationError(
            {
                "repository_url": f"The stored {Auth(source.auth).label} does not work with "
                f"this URL: give new credentials or clear them."
            }
        )
    if source.auth == Auth.TOKEN and username is not None:
        source.username = validation.clean_username(username)
    elif source.auth != Auth.TOKEN:
        source.username = ""
    if known_hosts is not None:
        source.known_hosts = validation.clean_known_hosts(known_hosts)
    source.repository_url = cleaned["repository_url"]
    source.branch = cleaned["branch"]
    source.subfolder = cleaned["subfolder"]
    secret = None
    if created:
        secret = new_secret()
        source.webhook_secret_ciphertext = crypto.encrypt(secret)
    source.updated_at = timezone.now()
    source.save()
    audit.record(
        principal,
        "git.create" if created else "git.update",
        team=app.team,
        target=app,
        data={
            "repository_url": source.repository_url,
            "branch": source.branch,
            "subfolder": source.subfolder,
            "auth": source.auth,
            "credentials_changed": changed_credentials,
        },
    )
    return Configured(source=source, webhook_secret=secret, created=created)


@transaction.atomic
def regenerate_secret(*, app: App, principal: Principal) -> tuple[GitSource, str]:
    """A new webhook secret (the old one stops working at once); returned to show once."""
    principal.require(app.team_id, Level.DEPLOY)
    app = _locked_app(app)
    source = GitSource.objects.select_for_update().filter(app=app).first()
    if source is None:
        raise ValidationError("This app has no git source.")
    secret = new_secret()
    source.webhook_secret_ciphertext = crypto.encrypt(secret)
    source.secret_made_at = source.updated_at = timezone.now()
    source.save(update_fields=["webhook_secret_ciphertext", "secret_made_at", "updated_at"])
    audit.record(principal, "git.secret_regenerate", team=app.team, target=app)
    return source, secret


@transaction.atomic
def remove(*, app: App, principal: Principal) -> None:
    principal.require(app.team_id, Level.DEPLOY)
    app = _locked_app(app)
    deleted, _ = GitSource.objects.filter(app=app).delete()
    if not deleted:
        raise ValidationError("This app has no git source.")
    audit.record(principal, "git.remove", team=app.team, target=app)


def summary(*, branch: str, sha: str = "", message: str = "") -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    text = f"Git {branch}" + (f" @ {sha[:7]}" if sha else "") + (f": {first}" if first else "")
    return text[:200]


def deploy_commit(*, app: App, principal: Principal, sha: object = "") -> Deployment:
    """Queue a deployment of ``sha`` (or, without one, of the branch's tip when it starts)."""
    principal.require(app.team_id, Level.DEPLOY)
    clean_sha = validation.clean_sha(sha) if sha else ""
    with transaction.atomic():
        source = GitSource.objects.filter(app=app).first()
        if source is None:
            raise ValidationError("This app has no git source: set the repository first.")
        return queue(app=app, principal=principal, branch=source.branch, sha=clean_sha)


def queue(
    *, app: App, principal: Principal, branch: str, sha: str = "", message: str = ""
) -> Deployment:
    """A git deployment whose access the caller checked (a signed webhook, or the above)."""
    with transaction.atomic():
        deployment = deploy._enqueue(
            app=app,
            principal=principal,
            source=Source.GIT,
            summary=summary(branch=branch, sha=sha, message=message),
        )
        if sha:
            # Known before the worker starts, so a second delivery of it is seen as one.
            deployment.commit_sha = sha
            deployment.commit_message = message
            deployment.save(update_fields=["commit_sha", "commit_message"])
    return deployment
