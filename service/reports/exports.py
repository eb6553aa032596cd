"""Reports as tables a person opens: CSV (UTF-8 with a BOM, so that Excel reads Vietnamese) and
XLSX (openpyxl's write-only mode), streamed or spooled so that a register of a year does not sit in
memory. JSON stays with each route's schema.

A route gives its columns (`Column`: the row's key and the header printed) and an iterable of
rows (mappings); `response` answers in the format asked for (`?format=` wins over `Accept`).
Dates and moments are printed as the offices read them: dd/mm/yyyy and dd/mm/yyyy HH:MM in the
offices' time zone; in XLSX they are real date cells with that number format.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, send_file
from werkzeug.datastructures import MIMEAccept

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int = 18  # XLSX column width, in characters


def choose(requested: str | None, accept: MIMEAccept) -> str:
    """The format of the answer: `?format=` if given (an unknown one is the caller's error, raised
    as ValueError), else the best of the Accept header, else JSON."""
    if requested:
        if requested not in MEDIA_TYPES:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {requested!r}")
        return requested
    best = accept.best_match(list(MEDIA_TYPES.values()), default=MEDIA_TYPES["json"])
    return next(name for name, media in MEDIA_TYPES.items() if media == best)


def cell(value, zone: ZoneInfo):
    """A value as a spreadsheet cell: moments in office time without their zone, lists joined."""
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, list | tuple):
        return "; ".join(str(cell(item, zone)) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {cell(item, zone)}" for key, item in value.items())
    return value


def text(value, zone: ZoneInfo) -> str:
    """A value as CSV text: dd/mm/yyyy HH:MM for moments, dd/mm/yyyy for dates."""
    value = cell(value, zone)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def csv_lines(columns: list[Column], rows: Iterable[Mapping], zone: ZoneInfo) -> Iterator[str]:
    """The table as CSV text, a line at a time (the first starts with the UTF-8 BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow(values)
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    yield "\ufeff" + line([column.title for column in columns])
    for row in rows:
        yield line([text(row.get(column.key), zone) for column in columns])


def xlsx_file(columns: list[Column], rows: Iterable[Mapping], zone: ZoneInfo, *, title: str):
    """The table as an XLSX workbook in a temporary file (rewound): write-only mode keeps only the
    current row in memory. `title` heads the sheet on its first line."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_name(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=12)
    sheet.append([heading])
    headers = []
    for column in columns:
        header = WriteOnlyCell(sheet, value=column.title)
        header.font = Font(bold=True)
        headers.append(header)
    sheet.append(headers)
    for row in rows:
        values = []
        for column in columns:
            value = cell(row.get(column.key), zone)
            if isinstance(value, datetime | date):
                dated = WriteOnlyCell(sheet, value=value)
                dated.number_format = "dd/mm/yyyy hh:mm" if isinstance(value, datetime) else "dd/mm/yyyy"
                value = dated
            values.append(value)
        sheet.append(values)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the answer closes it once sent)
    book.save(spool)
    spool.seek(0)
    return spool


def response(
    fmt: str, columns: list[Column], rows: Iterable[Mapping], zone: ZoneInfo, *, filename: str, title: str
) -> Response:
    """A CSV or XLSX answer to download (`filename` without its extension)."""
    disposition = f'attachment; filename="{filename}.{fmt}"'
    if fmt == "csv":
        answer = Response(csv_lines(columns, rows, zone), mimetype="text/csv")
        answer.headers["Content-Type"] = "text/csv; charset=utf-8"
        answer.headers["Content-Disposition"] = disposition
        return answer
    if fmt == "xlsx":
        answer = send_file(
            xlsx_file(columns, rows, zone, title=title),
            mimetype=MEDIA_TYPES["xlsx"],
            as_attachment=True,
            download_name=f"{filename}.xlsx",
        )
        return answer
    raise ValueError(f"no table answer for format {fmt!r}")


def _sheet_name(title: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return (cleaned or "Báo cáo")[:31]
