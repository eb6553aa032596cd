"""Finding a dossier (GET /api/v1/dossiers?q=): by code, by the applicant's name with or without
accents, by CCCD number or phone; only among the dossiers the caller may see."""

import pytest

from service.dossiers.search import fold, text_of, words
from tests.dossiers.test_dossier_flow import accept, receive


@pytest.fixture
def office(dossier_office, make_user):
    dossier_office.stranger = make_user("stranger", groups=["reception"], unit="UBND-XA")
    return dossier_office


def found(caller, q):
    response = caller.get("/api/v1/dossiers", query_string={"q": q})
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_folding_drops_accents_and_case_and_keeps_digits():
    assert fold("Nguyễn Thị Ánh") == "nguyen thi anh"
    assert fold("ĐẶNG  Văn Đức") == "dang van duc"
    assert words("  Nguyen   THI ") == ["nguyen", "thi"]
    text = text_of(
        "000.17.22.H56-261204-0001", {"name": "Trần Bình", "id_number": "0891", "phone": "091 234.5678"}
    )
    assert text == "000.17.22.h56-261204-0001 tran binh 0891 0912345678"


def test_a_dossier_is_found_by_name_without_accents_cccd_phone_and_code(office):
    anh = accept(office, receive(office))  # Nguyễn Thị Ánh from the QR code, phone 0912345678
    binh = receive(office, name="Trần Văn Bình", id_number="001099012345", phone="0987654321")

    assert found(office.clerk, "nguyen thi anh") == [anh["id"]]
    assert found(office.clerk, "Nguyễn Thị Ánh") == [anh["id"]]
    assert found(office.clerk, "ANH nguyen") == [anh["id"]]  # words in any order
    assert found(office.clerk, "tran binh") == [binh["id"]]
    assert found(office.clerk, "001099012345") == [binh["id"]]
    assert found(office.clerk, "0987 654 321") == [binh["id"]]  # a phone typed in pieces
    assert found(office.clerk, anh["code"]) == [anh["id"]]
    assert found(office.clerk, anh["code"][-9:]) == [anh["id"]]  # the end of a code
    assert found(office.clerk, "nguyen binh") == []
    assert set(found(office.clerk, "")) == {anh["id"], binh["id"]}


def test_wildcards_are_words_not_patterns(office):
    receive(office)
    assert found(office.clerk, "%") == []
    assert found(office.clerk, "_") == []


def test_the_search_finds_only_dossiers_the_caller_may_see(office):
    receive(office)
    assert found(office.stranger, "nguyen thi anh") == []


def test_a_too_long_search_is_a_clear_422(office):
    response = office.clerk.get("/api/v1/dossiers", query_string={"q": "x" * 201})
    assert response.status_code == 422
    assert "q" in str(response.json["error"]["details"])
