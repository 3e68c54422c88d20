"""Who is asking, and what they may do: the one place that scopes objects to teams.

A principal is a signed-in user (acting through their memberships) or an API
token (acting for its one team within its scopes). Both map to a level per
team. Objects are fetched through :func:`get_for_principal`, so an outsider gets
404 (it cannot learn the object exists) and a member below the needed level
gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from paas.models import ApiToken, Membership, Role, Scope, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

M = TypeVar("M", bound=Model)


class Level(IntEnum):
    READ = 1
    DEPLOY = 2
    ADMIN = 3
    OWNER = 4


ROLE_LEVEL: dict[str, Level] = {
    Role.VIEWER: Level.READ,
    Role.DEVELOPER: Level.DEPLOY,
    Role.ADMIN: Level.ADMIN,
    Role.OWNER: Level.OWNER,
}
SCOPE_LEVEL: dict[str, Level] = {
    Scope.READ: Level.READ,
    Scope.DEPLOY: Level.DEPLOY,
    Scope.ADMIN: Level.ADMIN,
}


@dataclass
class Principal:
    user: User | AnonymousUser | None = None
    token: ApiToken | None = None
    ip: str | None = None
    _levels: dict[int, Level] | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        if self.token is not None:
            return f"token {self.token.name} ({self.token.prefix})"
        if self.user is not None and self.user.is_authenticated:
            return str(self.user.get_username())
        return "system"

    @property
    def is_operator(self) -> bool:
        return bool(
            self.token is None
            and self.user is not None
            and self.user.is_authenticated
            and getattr(self.user, "is_superuser", False)
        )

    def levels(self) -> dict[int, Level]:
        """Team id -> level, read once per principal."""
        if self._levels is None:
            if self.token is not None:
                scopes = [SCOPE_LEVEL[s] for s in self.token.scopes if s in SCOPE_LEVEL]
                self._levels = {self.token.team_id: max(scopes)} if scopes else {}
            elif self.user is not None and self.user.is_authenticated:
                rows = Membership.objects.filter(user_id=self.user.pk).values_list(
                    "team_id", "role"
                )
                self._levels = {team_id: ROLE_LEVEL[role] for team_id, role in rows}
            else:
                self._levels = {}
        return self._levels

    def level_in(self, team: Team | int) -> Level | None:
        team_id = team if isinstance(team, int) else team.pk
        return self.levels().get(team_id)

    def team_ids(self) -> list[int]:
        return list(self.levels())

    def require(self, team: Team | int, level: Level) -> None:
        """404 when the principal has no access to the team, 403 when its level is too low."""
        have = self.level_in(team)
        if have is None:
            raise Http404
        if have < level:
            raise PermissionDenied(f"This needs the {level.name.lower()} level in the team.")


def visible(
    principal: Principal, queryset: QuerySet[M], *, team_field: str = "team"
) -> QuerySet[M]:
    """Only the rows of teams the principal belongs to."""
    return queryset.filter(**{f"{team_field}_id__in": principal.team_ids()})


def get_for_principal(
    principal: Principal,
    queryset: QuerySet[M],
    level: Level = Level.READ,
    *,
    team_field: str = "team",
    **lookup: Any,
) -> M:
    """Fetch one row the principal may see; 404 for outsiders, 403 below ``level``."""
    try:
        obj = visible(principal, queryset, team_field=team_field).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
    principal.require(getattr(obj, f"{team_field}_id"), level)
    return obj


def get_team(principal: Principal, level: Level = Level.READ, **lookup: Any) -> Team:
    """A team the principal belongs to (e.g. ``slug=...``); 404 for outsiders, 403 below ``level``."""
    team = Team.objects.filter(pk__in=principal.team_ids(), **lookup).first()
    if team is None:
        raise Http404
    principal.require(team, level)
    return team


def client_ip(request: Any) -> str | None:
    from django.conf import settings

    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[0].strip())
    addr = request.META.get("REMOTE_ADDR")
    return str(addr) if addr else None


def principal_for(request: Any) -> Principal:
    """The principal of a Django or DRF request, cached on the request."""
    cached = getattr(request, "_berth_principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        principal = Principal(token=token, ip=client_ip(request))
    else:
        principal = Principal(user=request.user, ip=client_ip(request))
    request._berth_principal = principal
    return principal
