"""The QR code printed on Mẫu 01-05 encodes exactly the dossier code."""

from __future__ import annotations

import re

import pytest
import segno

from service.documents import FORMS, qr_svg, render_html
from tests.documents.samples import CODE


def _dark_modules(svg: str) -> tuple[set[tuple[int, int]], int]:
    """The (row, column) cells a segno SVG path paints, and the SVG's side in modules."""
    side = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    path = re.search(r'\sd="([^"]+)"', svg).group(1)
    x = y = 0.0
    cells: set[tuple[int, int]] = set()
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", path):
        numbers = [float(n) for n in args.replace(",", " ").split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            cells.update((int(y), int(x) + i) for i in range(int(numbers[0])))
            x += numbers[0]
        elif command.lower() != "z":
            raise AssertionError(f"unexpected path command {command!r} in the QR SVG")
    return cells, side


def _expected_modules(text: str, side: int) -> set[tuple[int, int]]:
    """Where segno puts the dark modules of a QR code for ``text``, centred in ``side``."""
    matrix = segno.make_qr(text, error="m", boost_error=False).matrix
    border = (side - len(matrix)) // 2
    assert border >= 4, "a QR code needs a four-module quiet zone"
    return {(r + border, c + border) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}


def test_qr_svg_paints_exactly_the_modules_of_the_code():
    cells, side = _dark_modules(qr_svg(CODE))
    assert cells == _expected_modules(CODE, side)


def test_qr_svg_of_another_code_differs():
    cells, side = _dark_modules(qr_svg(CODE))
    other = CODE[:-1] + "2"
    assert cells != _expected_modules(other, side)
    assert _dark_modules(qr_svg(other))[0] == _expected_modules(other, side)


@pytest.mark.parametrize("form_id", [form_id for form_id in FORMS if form_id != "mau-06"])
def test_each_dossier_slip_embeds_the_qr_of_its_own_code(form_id, dossier):
    page = render_html(form_id, dossier)
    svg = re.search(r"<svg.*?</svg>", page, re.DOTALL).group(0)
    cells, side = _dark_modules(svg)
    assert cells == _expected_modules(CODE, side)


def test_qr_svg_is_scalable_inline_svg():
    svg = qr_svg(CODE)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'viewBox="' in svg
    assert "width=" not in svg.split(">", 1)[0]  # sized by the slip's CSS, not by the SVG
