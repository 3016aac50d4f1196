"""CSV and XLSX exports of dashboard tables and raw responses, streamed.

CSV rows are produced one by one by a generator behind a StreamingHttpResponse, so an export of a
million rows never sits in memory. XLSX uses openpyxl's write-only mode (rows go straight to a
temporary file) and the finished file is streamed from disk.

Every text cell goes through `cell_safe`, in both formats: a value starting with =, +, -, @, a tab
or a carriage return would be run as a formula by a spreadsheet ("CSV injection"), so it gets a
leading single quote and is read as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dashboards.selectors.tables import Table

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def cell_safe(value: Any) -> Any:
    """A value that a spreadsheet shows as typed: text that could start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def export_filename(name: str, fmt: str) -> str:
    return f"tandem-{name}-{timezone.localdate().isoformat()}.{fmt}"


def export_response(*, tables: Iterable[Table], name: str, fmt: str):
    """The export of `tables` as `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        return xlsx_response(tables=tables, filename=export_filename(name, "xlsx"))
    return csv_response(tables=tables, filename=export_filename(name, "csv"))


# --- CSV ----------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() hands the formatted line back to the generator."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds")
            if timezone.is_aware(value)
            else value
        )
    return cell_safe(value)


def csv_lines(tables: Iterable[Table]) -> Iterator[str]:
    """The tables one after another, each under its caption, a blank line between them."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # byte order mark: spreadsheet programs then read the file as UTF-8
    for index, table in enumerate(tables):
        if index:
            yield writer.writerow([])
        yield writer.writerow([cell_safe(table.caption)])
        yield writer.writerow([cell_safe(header) for header in table.headers])
        for row in table.rows:
            yield writer.writerow([_csv_value(value) for value in row])


def csv_response(*, tables: Iterable[Table], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(tables), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, str):
        return cell_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _sheet_title(caption: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", caption).strip("' ")
    if len(base) > 28:  # Excel allows 31 characters; keep room for " 2" and cut at a word
        base = base[:29].rsplit(" ", 1)[0].rstrip()
    base = base or "Sheet"
    title, number = base, 2
    while title.lower() in used:
        title, number = f"{base} {number}", number + 1
    used.add(title.lower())
    return title


def xlsx_response(*, tables: Iterable[Table], filename: str) -> FileResponse:
    """One sheet per table, caption in the first row; written through a temporary file."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(title=_sheet_title(table.sheet or table.caption, used))
        sheet.append([_xlsx_value(table.caption)])
        sheet.append([_xlsx_value(header) for header in table.headers])
        for row in table.rows:
            sheet.append([_xlsx_value(value) for value in row])
    if not used:
        workbook.create_sheet(title="Empty")
    spool = tempfile.TemporaryFile()  # closed by FileResponse when the download ends
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
