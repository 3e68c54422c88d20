"""What the deploy pipeline calls for a git deployment: check out the commit to build.

Runs in the worker. The commit is the one the deployment names (a webhook's
push), or the branch's tip when it names none; the SHA and message found are
written on the deployment, and an SSH host seen for the first time is pinned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from apps.git import clone, services
from apps.git.clone import CheckoutFailed, Credentials
from apps.git.models import GitSource
from apps.models import Deployment
from paas import crypto


def credentials_of(source: GitSource) -> Credentials:
    secret = crypto.decrypt(source.credential_ciphertext) if source.credential_ciphertext else ""
    return Credentials(
        auth=source.auth,
        username=source.username,
        secret=secret,
        known_hosts=source.known_hosts,
    )


def for_deployment(
    deployment: Deployment,
    *,
    log: Callable[[str], None],
    check: Callable[[], None],
) -> dict[str, Any]:
    """Check the commit out into a build folder; the deployment's fields to set."""
    source = GitSource.objects.filter(app_id=deployment.app_id).first()
    if source is None:
        raise CheckoutFailed("The app has no git source any more.")
    found = clone.checkout(
        url=source.repository_url,
        branch=source.branch,
        sha=deployment.commit_sha,
        subfolder=source.subfolder,
        credentials=credentials_of(source),
        timeout=settings.BERTH_GIT_TIMEOUT,
        check=check,
        log=log,
    )
    if found.known_hosts != source.known_hosts:
        # Only if nobody changed the pins meanwhile.
        GitSource.objects.filter(pk=source.pk, known_hosts=source.known_hosts).update(
            known_hosts=found.known_hosts
        )
        log("Pinned the SSH host key of the repository's host")
    first = found.message.splitlines()[0] if found.message else ""
    log(f"Checked out {found.sha[:12]}{': ' + first if first else ''}")
    fields: dict[str, Any] = {
        "build_dir": str(found.folder),
        "commit_sha": found.sha,
        "commit_message": found.message[:2000],
    }
    if not deployment.commit_sha:
        fields["summary"] = services.summary(
            branch=source.branch, sha=found.sha, message=found.message
        )
    return fields
