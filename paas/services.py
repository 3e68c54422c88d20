"""The only writers of teams, memberships, invitations and tokens.

Each function validates, writes and records an audit event in one transaction,
and raises ``django.core.exceptions.ValidationError`` (keyed by field) for bad
input before anything changes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from paas import audit
from paas.access import Level, Principal
from paas.models import ApiToken, Invitation, Membership, Role, Scope, Team
from paas.secrets import digest, matches, new_secret

TEAM_NAME_RE = re.compile(r"^[\w][\w .'-]{0,59}$")
TOKEN_PREFIX = "berth_"  # noqa: S105 - a public marker, not a secret
MAX_INVITE_DAYS = 90


def _clean_team_name(name: str, *, team: Team | None = None) -> tuple[str, str]:
    """The tidied name and its slug; ``team`` is the one being renamed (its own slug is free)."""
    name = " ".join(name.split())
    if not TEAM_NAME_RE.match(name):
        raise ValidationError(
            {"name": "Use 1-60 letters, digits, spaces, dots, hyphens or apostrophes."}
        )
    slug = slugify(name)[:40].strip("-")
    if not slug:
        raise ValidationError({"name": "The name needs at least one letter or digit."})
    taken = Team.objects.filter(slug=slug)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise ValidationError({"name": f"A team named {name!r} already exists."})
    return name, slug


@transaction.atomic
def create_team(*, name: str, principal: Principal) -> Team:
    user = principal.user
    if user is None or not user.is_authenticated or principal.token is not None:
        raise PermissionDenied("Teams are created by signed-in users.")
    name, slug = _clean_team_name(name)
    team = Team.objects.create(name=name, slug=slug)
    Membership.objects.create(team=team, user_id=user.pk, role=Role.OWNER)
    audit.record(principal, "team.create", team=team, target=team)
    return team


@transaction.atomic
def rename_team(*, team: Team, name: str, principal: Principal) -> Team:
    principal.require(team, Level.ADMIN)
    old = team.name
    team.name, team.slug = _clean_team_name(name, team=team)
    team.save(update_fields=["name", "slug"])
    audit.record(principal, "team.rename", team=team, target=team, data={"from": old})
    return team


def _owner_count(team: Team) -> int:
    return Membership.objects.filter(team=team, role=Role.OWNER).count()


@transaction.atomic
def change_role(*, membership: Membership, role: str, principal: Principal) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    principal.require(membership.team_id, Level.ADMIN)
    # Only owners make or unmake owners.
    if Role.OWNER in (role, membership.role):
        principal.require(membership.team_id, Level.OWNER)
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(membership.team) == 1:
        raise ValidationError(
            {"role": "The last owner cannot be demoted; make another owner first."}
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        principal,
        "member.role",
        team=membership.team,
        target=membership.user,
        target_type="user",
        data={"from": old, "to": role},
    )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, principal: Principal) -> None:
    """Remove a member; a member may always remove themself (leave)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    leaving = principal.user is not None and principal.user.pk == membership.user_id
    if not leaving:
        principal.require(membership.team_id, Level.ADMIN)
        if membership.role == Role.OWNER:
            principal.require(membership.team_id, Level.OWNER)
    if membership.role == Role.OWNER and _owner_count(membership.team) == 1:
        raise ValidationError({"role": "The last owner cannot leave; make another owner first."})
    audit.record(
        principal,
        "member.leave" if leaving else "member.remove",
        team=membership.team,
        target=membership.user,
        target_type="user",
    )
    membership.delete()


@transaction.atomic
def create_invitation(
    *, team: Team, role: str, principal: Principal, email: str = "", days: int | None = None
) -> tuple[Invitation, str]:
    """Returns the invitation and the secret for its link (shown once)."""
    principal.require(team, Level.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if role == Role.OWNER:
        principal.require(team, Level.OWNER)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid email address."}) from None
    days = settings.BERTH_INVITE_DAYS if days is None else days
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise ValidationError({"days": f"Choose between 1 and {MAX_INVITE_DAYS} days."})
    secret = new_secret()
    invitation = Invitation.objects.create(
        team=team,
        role=role,
        email=email,
        token_hash=digest(secret),
        created_by_id=principal.user.pk if principal.user is not None else None,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(principal, "invitation.create", team=team, target=invitation, data={"role": role})
    return invitation, secret


INVITATION_GONE = {
    "accepted": "This invitation has already been accepted; ask for a new one.",
    "expired": "This invitation has expired; ask for a new one.",
    "revoked": "This invitation was revoked; ask for a new one.",
}


def find_open_invitation(secret: str) -> Invitation:
    """The invitation a link's secret opens, or a ValidationError saying why not."""
    invitation = Invitation.objects.select_related("team").filter(token_hash=digest(secret)).first()
    if invitation is None:
        raise ValidationError("This invitation link is not valid.", code="unknown")
    state = invitation.state
    if state != "open":
        # The code (expired, accepted, revoked) lets a page answer 410 rather than 404.
        raise ValidationError(INVITATION_GONE[state], code=state)
    return invitation


@transaction.atomic
def accept_invitation(*, secret: str, user: User, principal: Principal | None) -> Membership:
    invitation = find_open_invitation(secret)
    # Claim it with a conditional update: a link works once, even when two
    # people open it at the same moment.
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if claimed != 1:
        raise ValidationError(INVITATION_GONE["accepted"], code="accepted")
    membership, created = Membership.objects.get_or_create(
        team=invitation.team, user_id=user.pk, defaults={"role": invitation.role}
    )
    audit.record(
        principal,
        "invitation.accept",
        team=invitation.team,
        target=user,
        target_type="user",
        data={"role": membership.role, "already_member": not created},
    )
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, principal: Principal) -> None:
    principal.require(invitation.team_id, Level.ADMIN)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(principal, "invitation.revoke", team=invitation.team, target=invitation)


def parse_scopes(scopes: list[str] | str) -> list[str]:
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    cleaned = sorted({s.strip() for s in items if s.strip()})
    unknown = [s for s in cleaned if s not in Scope.values]
    if unknown:
        raise ValidationError(
            {"scopes": f"Unknown scope(s) {', '.join(unknown)}; use {', '.join(Scope.values)}."}
        )
    if not cleaned:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return cleaned


@transaction.atomic
def create_token(
    *,
    team: Team,
    name: str,
    scopes: list[str] | str,
    principal: Principal | None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Returns the token row and the token itself, which is never shown again.

    ``principal`` is None only for operators' scripts (``manage.py maketoken``).
    """
    if principal is not None:
        principal.require(team, Level.ADMIN)
    name = name.strip()
    if not name or len(name) > 60:
        raise ValidationError({"name": "Give the token a name of 1-60 characters."})
    cleaned = parse_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    prefix = new_secret(6)[:8].replace("-", "x").replace("_", "y")
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 48 random bits
        prefix = new_secret(6)[:8].replace("-", "x").replace("_", "y")
    raw = f"{TOKEN_PREFIX}{prefix}_{new_secret(30)}"
    user = principal.user if principal is not None else None
    token = ApiToken.objects.create(
        team=team,
        name=name,
        prefix=prefix,
        token_hash=digest(raw),
        scopes=cleaned,
        created_by_id=user.pk if user is not None and user.is_authenticated else None,
        expires_at=expires_at,
    )
    audit.record(principal, "token.create", team=team, target=token, data={"scopes": cleaned})
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, principal: Principal) -> None:
    principal.require(token.team_id, Level.ADMIN)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(principal, "token.revoke", team=token.team, target=token)


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token for a raw value, or None. Records last use (at most once a minute)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("team").filter(prefix=prefix).first()
    if token is None or not matches(raw, token.token_hash) or not token.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
