"""Opt-in new-response webhooks, queued after a response is scored.

response_webhooks_queue(*, response_id) -> int   (dashboards.scoring, once per response)
"""

from __future__ import annotations

from django.db import transaction

from dashboards.alerting import selectors
from dashboards.alerting.outbox import outbox_enqueue
from dashboards.models import OutboxKind, OutboxMessage
from responses.models import Response
from surveys.models import Survey

RESPONSE_EVENT = "response.created"


def response_webhooks_queue(*, response_id: int) -> int:
    """Queue the opt-in new-response webhooks for a scored response. Returns how many were new.

    Never for anonymous surveys, EX or CX (one person's answers, as they arrive, with their
    team, location and time). Idempotent:
    one message per endpoint and response (unique constraint), however often scoring runs.
    """
    # The endpoints first: most organisations have none, and the response with its relations
    # is then never loaded (this runs once per scored response).
    survey = Survey.objects.filter(responses__id=response_id).first()
    if survey is None or selectors.is_protected(survey):
        return 0
    endpoints = list(
        selectors.response_endpoints(organization_id=survey.organization_id, kind=survey.kind)
    )
    if not endpoints:
        return 0
    response = (
        Response.objects.select_related("survey", "team", "location", "respondent", "agent")
        .filter(id=response_id)
        .first()
    )
    if response is None:
        return 0
    payload = {"event": RESPONSE_EVENT, "response": response_payload(response)}
    new_ids = []
    with transaction.atomic():
        for endpoint in endpoints:
            message, created = OutboxMessage.objects.get_or_create(
                endpoint=endpoint,
                response_id=response.id,
                defaults={
                    "organization_id": endpoint.organization_id,
                    "survey_kind": endpoint.kind,
                    "kind": OutboxKind.WEBHOOK,
                    "event": RESPONSE_EVENT,
                    "target": endpoint.url,
                    "payload": payload,
                },
            )
            if created:
                new_ids.append(message.id)
        outbox_enqueue(message_ids=new_ids)
    return len(new_ids)


def response_payload(response: Response) -> dict:
    """A response as JSON for a webhook: its answers, and who only when the survey is named."""
    survey = response.survey
    answers = response.answers.select_related("question").order_by("question__order", "question_id")
    body = {
        "id": response.id,
        "survey": {"id": survey.id, "title": survey.title, "kind": survey.kind},
        "submitted_at": response.submitted_at.isoformat(),
        "team": response.team and {"id": response.team_id, "name": response.team.name},
        "location": response.location
        and {"id": response.location_id, "name": response.location.name},
        "answers": [
            {
                "question": a.question_id,
                "text": a.question.text,
                "type": a.question.type,
                "value": a.display_value,
                "sentiment": a.sentiment_label or None,
            }
            for a in answers
        ],
    }
    if not survey.anonymous:
        body["respondent"] = response.respondent and response.respondent.name
        body["agent"] = response.agent and response.agent.name
    return body
