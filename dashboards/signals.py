"""A survey whose outcome question changes gets its rollups' pair moments rebuilt; an alert or
alert rule written moves its organisation's results version on (surveys.signals: the overview
lists open alerts).

Driver impact reads pair moments from the rollups only while they are against the survey's
current outcome question (dashboards.pairs); a write that makes another question the outcome,
or stops one being it, queues the survey's rebuild once the write commits. A broker outage is
logged: the reconcile task rebuilds stale surveys too, and driver impact reads answers meanwhile.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from dashboards import pairs
from dashboards.models import Alert, AlertRule, PairOutcome
from surveys.models import Question
from surveys.signals import results_changed

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Question)
@receiver(post_delete, sender=Question)
def _question_written(sender, instance: Question, **kwargs) -> None:
    survey_id = instance.survey_id
    if (
        not instance.is_outcome
        and not PairOutcome.objects.filter(survey_id=survey_id, question_id=instance.pk).exists()
    ):
        return  # neither the outcome now nor the one the pairs are against
    transaction.on_commit(lambda: pairs_rebuild_if_stale(survey_id))


@receiver(post_save, sender=Alert)
@receiver(post_delete, sender=Alert)
@receiver(post_save, sender=AlertRule)
@receiver(post_delete, sender=AlertRule)
def _alert_written(sender, instance, **kwargs) -> None:
    results_changed(organization_id=instance.organization_id)


def pairs_rebuild_if_stale(survey_id: int) -> None:
    from dashboards.tasks import scores_rebuild

    if pairs.current(survey_id=survey_id):
        return
    try:
        scores_rebuild.delay(survey_id)
    except Exception:  # noqa: BLE001 - an authoring write must not fail on a broker outage
        logger.warning(
            "Could not queue the rebuild of survey %s after its outcome question changed; "
            "the reconcile task will rebuild it.",
            survey_id,
            exc_info=True,
        )
