"""The benchmark server's URLconf: the product's URLs plus one baseline view.

Only the HTTP benchmarks use it (ROOT_URLCONF=benchmarks.bench_urls in the server's
environment); config/urls.py never includes it, so the product has no such endpoint.

POST /bench/bare-insert/<survey id>/ takes the responses API's JSON body and does the least a
stored response needs: one transaction with one INSERT of the response and one INSERT of its
answers. No authentication, validation, throttling or scoring task: the floor the real
endpoints are compared with. Rows are written already scored, so no worker picks them up.
"""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
@require_POST
def bare_insert(request, pk: int):
    body = json.loads(request.body)
    answers = body["answers"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO responses_response (survey_id, team_id, channel, language, "
            "submitted_at, scored_at) VALUES (%s, %s, 'api', '', now(), now()) RETURNING id",
            [pk, body["team"]],
        )
        (response_id,) = cursor.fetchone()
        rows, params = [], []
        for answer in answers:
            value = answer["value"]
            rows.append("(%s, %s, %s, %s, '')")
            params += [
                response_id,
                answer["question"],
                value if isinstance(value, int) else None,
                value if isinstance(value, str) else "",
            ]
        cursor.execute(
            "INSERT INTO responses_answer (response_id, question_id, value_int, value_text, "
            f"sentiment_label) VALUES {', '.join(rows)}",
            params,
        )
    return HttpResponse(
        json.dumps({"id": response_id}), status=201, content_type="application/json"
    )


urlpatterns = [
    path("bench/bare-insert/<int:pk>/", bare_insert, name="bench-bare-insert"),
    *product_urlpatterns,
]
