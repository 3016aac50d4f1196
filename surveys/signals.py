"""A survey's revision follows every write to its questions and rounds.

responses.selectors caches a survey's questions and rounds per process under (survey id,
revision); the survey row is read on every submission anyway, so a new revision is seen at once
by every process. Writes that send no signal (bulk_update, QuerySet.update) call
`survey_revision_bump` themselves.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from surveys.models import Cycle, Question, Survey


def survey_revision_bump(survey_id: int, survey: Survey | None = None) -> None:
    """+1 in the database, and on `survey` (an instance the caller holds) to match."""
    Survey.objects.filter(pk=survey_id).update(revision=F("revision") + 1)
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
