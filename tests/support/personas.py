"""One team with a member of every role, and an outsider in a team of their own."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from paas.access import Principal
from paas.models import Membership, Role, Team

PASSWORD = "a-long-test-password-9"


@dataclass
class Personas:
    team: Team
    other_team: Team
    operator: User
    owner: User
    admin: User
    developer: User
    viewer: User
    outsider: User

    def principal(self, name: str) -> Principal:
        return Principal(user=getattr(self, name))


def make_user(username: str, **extra: object) -> User:
    user: User = User.objects.create_user(
        username=username, email=f"{username}@example.test", password=PASSWORD, **extra
    )
    return user


def build_personas() -> Personas:
    team = Team.objects.create(name="Acme", slug="acme")
    other = Team.objects.create(name="Globex", slug="globex")
    operator = make_user("operator", is_staff=True, is_superuser=True)
    people = {role: make_user(role.value if role != Role.ADMIN else "teamadmin") for role in Role}
    for role, user in people.items():
        Membership.objects.create(team=team, user=user, role=role)
    outsider = make_user("outsider")
    Membership.objects.create(team=other, user=outsider, role=Role.OWNER)
    return Personas(
        team=team,
        other_team=other,
        operator=operator,
        owner=people[Role.OWNER],
        admin=people[Role.ADMIN],
        developer=people[Role.DEVELOPER],
        viewer=people[Role.VIEWER],
        outsider=outsider,
    )
