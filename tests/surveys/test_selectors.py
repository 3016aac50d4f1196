"""Organisation scoping of survey lookups (surveys.selectors)."""

from __future__ import annotations

import pytest
from django.http import Http404

from surveys.selectors import survey_of_organization
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


def test_a_survey_of_another_organisation_is_not_found(world):
    mine = SurveyFactory(organization=world.org)
    theirs = SurveyFactory(organization=world.outsider.organization)
    assert survey_of_organization(membership=world.hr_admin, pk=mine.pk) == mine
    with pytest.raises(Http404):
        survey_of_organization(membership=world.hr_admin, pk=theirs.pk)
