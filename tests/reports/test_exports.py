"""Reports as CSV and XLSX: Vietnamese text survives, moments in office time, formats chosen."""

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from werkzeug.datastructures import MIMEAccept

from service.reports import exports
from service.reports.exports import Column

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS = [
    Column("code", "Mã hồ sơ"),
    Column("applicant", "Người nộp"),
    Column("due_at", "Hẹn trả"),
    Column("day", "Ngày"),
    Column("days", "Số ngày"),
    Column("steps", "Các bước"),
]
ROWS = [
    {
        "code": "000.17.22.H56-261120-0001",
        "applicant": "Nguyễn Thị Ánh",
        "due_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "day": date(2026, 11, 20),
        "days": 1.25,
        "steps": ["Tiếp nhận", "Thẩm định"],
    },
    {"code": "x", "applicant": None},
]


def test_csv_carries_a_bom_vietnamese_text_and_office_time():
    body = "".join(exports.csv_lines(COLUMNS, ROWS, HCM))
    assert body.startswith("\ufeffMã hồ sơ,Người nộp,Hẹn trả")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[1] == [
        "000.17.22.H56-261120-0001",
        "Nguyễn Thị Ánh",
        "20/11/2026 16:30",
        "20/11/2026",
        "1.25",
        "Tiếp nhận; Thẩm định",
    ]
    assert rows[2] == ["x", "", "", "", "", ""]


def test_xlsx_has_a_title_headers_and_real_date_cells():
    with exports.xlsx_file(COLUMNS, iter(ROWS), HCM, title="Sổ theo dõi hồ sơ: tháng 11/2026") as spool:
        book = load_workbook(spool, read_only=True)
        sheet = book.active
        rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Sổ theo dõi hồ sơ  tháng 11 202"  # 31 characters, no ":" or "/"
    assert rows[0][0] == "Sổ theo dõi hồ sơ: tháng 11/2026"
    assert rows[1] == ("Mã hồ sơ", "Người nộp", "Hẹn trả", "Ngày", "Số ngày", "Các bước")
    assert rows[2][:3] == ("000.17.22.H56-261120-0001", "Nguyễn Thị Ánh", datetime(2026, 11, 20, 16, 30))
    assert rows[2][4:] == (1.25, "Tiếp nhận; Thẩm định")


@pytest.mark.parametrize(
    ("requested", "accept", "chosen"),
    [
        ("csv", "application/json", "csv"),
        (None, "text/csv", "csv"),
        (None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        (None, "*/*", "json"),
        (None, "", "json"),
    ],
)
def test_the_format_is_the_query_else_the_accept_header(requested, accept, chosen):
    header = MIMEAccept([(value, 1) for value in [accept] if value])
    assert exports.choose(requested, header) == chosen


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="csv, xlsx"):
        exports.choose("pdf", MIMEAccept())


def test_the_answers_are_attachments_with_their_media_type():
    app = Flask(__name__)
    with app.test_request_context():
        answer = exports.response("csv", COLUMNS, ROWS, HCM, filename="so-theo-doi", title="Sổ")
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="so-theo-doi.csv"'
        answer = exports.response("xlsx", COLUMNS, ROWS, HCM, filename="so-theo-doi", title="Sổ")
        assert answer.mimetype == exports.MEDIA_TYPES["xlsx"]
        answer.direct_passthrough = False
        rows = list(
            load_workbook(io.BytesIO(answer.get_data()), read_only=True).active.iter_rows(values_only=True)
        )
        assert [row[0] for row in rows] == ["Sổ", "Mã hồ sơ", "000.17.22.H56-261120-0001", "x"]
        answer.close()
