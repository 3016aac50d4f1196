"""Writing generated responses and answers in chunks.

PostgreSQL gets COPY (response ids reserved from their sequence so the answers can point at
them); other databases get `bulk_create` in batches. Either way one transaction per chunk.
"""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, models, transaction
from django.utils import timezone

from dashboards.datagen.model import ResponseRow
from responses.models import Answer, Response
from surveys.models import Organization


@dataclass
class LoadStats:
    responses: int = 0
    answers: int = 0
    seconds: float = 0.0  # spent writing (formatting + COPY / INSERT), not generating


class BulkWriter:
    """Any database: responses by bulk_create (which returns their ids), then their answers by
    one executemany INSERT (no model instances: a third of the time), one transaction a chunk."""

    batch_size = 2000

    def __init__(self) -> None:
        self.stats = LoadStats()
        self.scored_at = timezone.now()

    def write(self, rows: Sequence[ResponseRow]) -> None:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            responses = Response.objects.bulk_create(
                [Response(**_response_fields(row), scored_at=self.scored_at) for row in rows],
                batch_size=self.batch_size,
            )
            cursor.executemany(
                f"INSERT INTO {Answer._meta.db_table} ({ANSWER_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (response.pk, qid, value, text, _json(choices), score, label)
                    for response, row in zip(responses, rows, strict=True)
                    for qid, value, text, choices, score, label in row.answers
                ],
            )
        self._count(rows, started)

    def _count(self, rows: Sequence[ResponseRow], started: float) -> None:
        self.stats.responses += len(rows)
        self.stats.answers += sum(len(row.answers) for row in rows)
        self.stats.seconds += time.perf_counter() - started


def _response_fields(row: ResponseRow) -> dict:
    return {
        "survey_id": row.survey_id,
        "team_id": row.team_id,
        "location_id": row.location_id,
        "cycle_id": row.cycle_id,
        "respondent_id": row.respondent_id,
        "agent_id": row.agent_id,
        "channel": row.channel,
        "language": row.language,
        "submitted_at": row.submitted_at,
    }


RESPONSE_COLUMNS = (
    "id, survey_id, team_id, location_id, cycle_id, respondent_id, agent_id, channel, language, "
    "submitted_at, scored_at"
)
ANSWER_COLUMNS = (
    "response_id, question_id, value_int, value_text, value_choices, sentiment_score, "
    "sentiment_label"
)


class CopyWriter(BulkWriter):
    """PostgreSQL: two COPY statements per chunk (responses, then their answers).

    Response ids are taken from the table's own sequence first, so concurrent writers never
    collide and the answers can name their response without a round trip per row.
    """

    def write(self, rows: Sequence[ResponseRow]) -> None:
        started = time.perf_counter()
        scored_at = self.scored_at.isoformat()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Response._meta.db_table, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            responses, answers = io.StringIO(), io.StringIO()
            for pk, row in zip(ids, rows, strict=True):
                responses.write(
                    f"{pk}\t{row.survey_id}\t{_n(row.team_id)}\t{_n(row.location_id)}\t"
                    f"{_n(row.cycle_id)}\t{_n(row.respondent_id)}\t{_n(row.agent_id)}\t"
                    f"{row.channel}\t{row.language}\t{row.submitted_at.isoformat()}\t{scored_at}\n"
                )
                for qid, value, text, choices, score, label in row.answers:
                    answers.write(
                        f"{pk}\t{qid}\t{_n(value)}\t{_text(text)}\t{_choices(choices)}\t"
                        f"{_n(score)}\t{label}\n"
                    )
            _copy(cursor.cursor, Response._meta.db_table, RESPONSE_COLUMNS, responses)
            _copy(cursor.cursor, Answer._meta.db_table, ANSWER_COLUMNS, answers)
        self._count(rows, started)


def _n(value: object) -> str:
    return r"\N" if value is None else str(value)


@lru_cache(maxsize=4096)
def _text(text: str) -> str:
    """COPY's text format: backslash, tab and line breaks are escaped."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json(choices: list | None) -> str | None:
    return None if choices is None else json.dumps(choices)


def _choices(choices: list | None) -> str:
    return r"\N" if choices is None else _text(json.dumps(choices))


def _copy(raw_cursor, table: str, columns: str, data: io.StringIO) -> None:
    sql = f"COPY {table} ({columns}) FROM STDIN"
    data.seek(0)
    if hasattr(raw_cursor, "copy_expert"):  # psycopg2
        raw_cursor.copy_expert(sql, data)
    else:  # psycopg 3
        with raw_cursor.copy(sql) as copy:
            copy.write(data.getvalue())


def rows_writer() -> BulkWriter:
    return CopyWriter() if connection.vendor == "postgresql" else BulkWriter()


def chunked(rows: Iterable[ResponseRow], *, answers: int) -> Iterator[list[ResponseRow]]:
    """Lists of responses holding about `answers` answers each."""
    chunk: list[ResponseRow] = []
    pending = 0
    for row in rows:
        chunk.append(row)
        pending += len(row.answers)
        if pending >= answers:
            yield chunk
            chunk, pending = [], 0
    if chunk:
        yield chunk


def prefetched(items: Iterator, *, depth: int = 2) -> Iterator:
    """Runs `items` in a thread, `depth` ahead of the consumer.

    Generating rows is Python work; writing them is mostly waiting for the database. On two
    cores the two overlap. The generator must not touch the database (a thread has its own
    connection). If the consumer stops early (an error while writing), the thread stops too.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(done)
        except BaseException as error:  # handed to the consumer, raised there
            offer(error)

    threading.Thread(target=produce, daemon=True, name="datagen").start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def tables_analyze(*models) -> None:
    """Fresh statistics after a bulk load, so the next queries are planned for the real row
    counts (autovacuum gets there eventually, benchmarks should not wait). PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in models))


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def organization_delete(*, organization: Organization) -> None:
    """Delete an organisation and everything it holds without loading its answers into memory.

    The ORM's cascade collects every response and answer in Python before deleting, which at a
    million answers takes minutes and gigabytes. So answers and responses go first as set-based
    DELETEs (after the rows pointing at a response are handled as their on_delete says); the
    rest, a few thousand rows, cascades as usual.
    """
    responses = Response.objects.filter(survey__organization=organization)
    with transaction.atomic():
        Answer.objects.filter(response__in=responses).delete()  # nothing points at an answer
        for relation in Response._meta.related_objects:
            if relation.related_model is Answer:
                continue
            rows = relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": responses}
            )
            if relation.on_delete is models.SET_NULL:
                rows.update(**{relation.field.name: None})
            else:
                rows.delete()
        responses._raw_delete(responses.db)
        organization.delete()
