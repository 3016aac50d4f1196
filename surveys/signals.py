"""A survey's revision follows every write to its questions and rounds; an organisation's results
version follows every write that changes what its dashboards show.

responses.selectors caches a survey's questions and rounds per process under (survey id,
revision); the survey row is read on every submission anyway, so a new revision is seen at once
by every process. Writes that send no signal (bulk_update, QuerySet.update) call
`survey_revision_bump` themselves.

dashboards.results_cache keeps dashboards per organisation results versions: `results_scored`
moves its EX or CX version on, in each scoring transaction that changes rollups
(dashboards.scoring); `results_changed` moves the version every page follows on, from
`survey_revision_bump` (questions and rounds) and the receivers below, on every save or delete
of the organisation, its departments, locations, teams, people and surveys (alerts:
dashboards.signals); writes that send no signal (bulk_create, bulk_update, QuerySet.update)
call it themselves.
Invitations and responses have no receiver: a cascade deleting thousands of them would send a
signal each (and Django would load them all to send it).
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from surveys.models import (
    Cycle,
    Department,
    Location,
    Organization,
    Person,
    Question,
    Survey,
    Team,
)


def survey_revision_bump(survey_id: int, survey: Survey | None = None) -> None:
    """+1 in the database, and on `survey` (an instance the caller holds) to match; the
    organisation's results version moves on too (questions and rounds are in its dashboards)."""
    Survey.objects.filter(pk=survey_id).update(revision=F("revision") + 1)
    results_changed(survey_id=survey_id)
    if survey is not None:
        survey.revision = (
            Survey.objects.filter(pk=survey_id).values_list("revision", flat=True).first() or 0
        )


@receiver(post_save, sender=Question)
@receiver(post_delete, sender=Question)
@receiver(post_save, sender=Cycle)
@receiver(post_delete, sender=Cycle)
def _child_written(sender, instance, **kwargs) -> None:
    # The survey instance the writer holds (e.g. question.survey), when it is loaded, follows.
    held = instance._state.fields_cache.get("survey")
    survey_revision_bump(instance.survey_id, held)


def results_changed(*, organization_id: int | None = None, survey_id: int | None = None) -> None:
    """What the organisation's dashboards show changed (named by the organisation or by one of
    its surveys): no kept dashboard of it is served again. Within the caller's transaction."""
    if organization_id is not None:
        organizations = Organization.objects.filter(pk=organization_id)
    else:
        organizations = Organization.objects.filter(surveys__pk=survey_id)
    organizations.update(results_version=F("results_version") + 1)


def results_scored(*, survey_id: int) -> None:
    """A scored batch of this survey: kept dashboards of its kind (EX or CX) and those showing
    both kinds are not served again; the other kind's are."""
    row = Survey.objects.filter(pk=survey_id).values_list("organization_id", "kind").first()
    if row is not None:
        version = f"{row[1]}_results_version"
        Organization.objects.filter(pk=row[0]).update(**{version: F(version) + 1})


# Questions and rounds: through survey_revision_bump (above).
_BY_ORGANIZATION = (Department, Location, Team, Person, Survey)


def _results_written(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: rows as they were
        return
    if isinstance(instance, Organization):
        results_changed(organization_id=instance.pk)
    else:
        results_changed(organization_id=instance.organization_id)


for _model in (Organization, *_BY_ORGANIZATION):
    post_save.connect(_results_written, sender=_model, dispatch_uid=f"results-{_model.__name__}")
    post_delete.connect(
        _results_written, sender=_model, dispatch_uid=f"results-del-{_model.__name__}"
    )
