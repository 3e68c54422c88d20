from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from paas.models import ApiToken, Team
from paas.services import authenticate_token

pytestmark = pytest.mark.django_db


def test_it_prints_only_the_token(people):
    out = StringIO()
    call_command("maketoken", "--team", "acme", "--scopes", "read,deploy", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    token = authenticate_token(lines[0])
    assert token is not None
    assert token.team == people.team
    assert token.scopes == ["deploy", "read"]


def test_it_creates_the_team_when_asked(db):
    out = StringIO()
    call_command("maketoken", "--team", "newteam", "--create-team", stdout=out)
    assert Team.objects.filter(slug="newteam").exists()
    assert ApiToken.objects.count() == 1


def test_it_refuses_an_unknown_team(db):
    with pytest.raises(CommandError, match="No team"):
        call_command("maketoken", "--team", "nope", stdout=StringIO())
