"""`__anyof` (dashboards.lookups) selects what `__in` selects, on plain and foreign key fields."""

from __future__ import annotations

import pytest

from surveys.models import Team
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_anyof_selects_what_in_selects(world):
    extra = TeamFactory(organization=world.org, name="Kitchen")
    for ids in ([], [world.team.id], [world.team.id, extra.id, 10**9]):
        for path in ("id", "organization_id", "organization"):
            values = ids if path == "id" else [world.org.id] if ids else []
            anyof = set(Team.objects.filter(**{f"{path}__anyof": values}))
            assert anyof == set(Team.objects.filter(**{f"{path}__in": values}))
    # through a join, as the anonymity conditions use it
    assert list(Team.objects.filter(organization__teams__id__anyof=[extra.id]).distinct()) == list(
        Team.objects.filter(organization__teams__id__in=[extra.id]).distinct()
    )
