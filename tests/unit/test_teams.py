import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from paas import services
from paas.models import AuditEvent, Membership, Role, Team

pytestmark = pytest.mark.django_db


def test_creating_a_team_makes_the_creator_owner(people):
    team = services.create_team(name="Initech Labs", principal=people.principal("viewer"))
    assert team.slug == "initech-labs"
    assert Membership.objects.get(team=team, user=people.viewer).role == Role.OWNER
    assert AuditEvent.objects.filter(action="team.create", team=team).exists()


@pytest.mark.parametrize("name", ["", "   ", "<script>", "x" * 61, "-;drop"])
def test_it_rejects_invalid_team_names(people, name):
    with pytest.raises(ValidationError):
        services.create_team(name=name, principal=people.principal("owner"))
    assert Team.objects.count() == 2


def test_it_rejects_a_duplicate_team_name(people):
    with pytest.raises(ValidationError, match="already exists"):
        services.create_team(name="ACME", principal=people.principal("owner"))


def test_the_last_owner_cannot_be_demoted(people):
    membership = Membership.objects.get(team=people.team, user=people.owner)
    with pytest.raises(ValidationError, match="last owner"):
        services.change_role(
            membership=membership, role=Role.ADMIN, principal=people.principal("owner")
        )
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_last_owner_cannot_leave(people):
    membership = Membership.objects.get(team=people.team, user=people.owner)
    with pytest.raises(ValidationError, match="last owner"):
        services.remove_member(membership=membership, principal=people.principal("owner"))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_cannot_make_an_owner(people):
    membership = Membership.objects.get(team=people.team, user=people.developer)
    with pytest.raises(PermissionDenied):
        services.change_role(
            membership=membership, role=Role.OWNER, principal=people.principal("admin")
        )


def test_a_member_can_leave(people):
    membership = Membership.objects.get(team=people.team, user=people.viewer)
    services.remove_member(membership=membership, principal=people.principal("viewer"))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="member.leave").exists()


def test_an_invitation_works_once(people):
    from paas.models import Invitation
    from tests.support.personas import make_user

    invitation, secret = services.create_invitation(
        team=people.team, role=Role.DEVELOPER, principal=people.principal("admin")
    )
    newcomer = make_user("newcomer")
    services.accept_invitation(secret=secret, user=newcomer, principal=None)
    assert Membership.objects.get(team=people.team, user=newcomer).role == Role.DEVELOPER
    with pytest.raises(ValidationError, match="accepted"):
        services.accept_invitation(secret=secret, user=make_user("second"), principal=None)
    assert Invitation.objects.get(pk=invitation.pk).accepted_by == newcomer


def test_an_expired_invitation_is_refused(people):
    from datetime import timedelta

    from django.utils import timezone

    from paas.models import Invitation
    from tests.support.personas import make_user

    invitation, secret = services.create_invitation(
        team=people.team, role=Role.VIEWER, principal=people.principal("owner")
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="expired"):
        services.accept_invitation(secret=secret, user=make_user("late"), principal=None)
