"""The largest sum of step allotments along any path of a process (engine/allotments.py), from .bpmn
files: the rules, and the shipped dossier process with the demo catalogue's shares."""

from __future__ import annotations

import json
from pathlib import Path

from service.engine import CompiledDefinition, Engine, parse_definition
from service.engine.allotments import declared_allotments, longest_path, main_path_elements
from tests.engine.conftest import deploy

ROOT = Path(__file__).resolve().parents[2]
SHARES = {"a": 1, "b": 2, "c": 5, "d": 3, "e": 1, "f": 1, "g": 1, "h": 2, "s1": 1, "s2": 0.5, "t": 10, "k": 4}


def dossier(engine: Engine) -> CompiledDefinition:
    return engine.compile(parse_definition((ROOT / "bpmn" / "dossier.bpmn").read_bytes()).spec_blob)


def test_the_path_takes_the_longer_alternative_the_longer_parallel_branch_and_a_loop_once(engine):
    path = longest_path(deploy(engine, "allot_paths.bpmn"), SHARES)
    # a 1 + (b 2 | c 5) + (d 3 beside e 1 + f 1) + loop g 1, h 2 + sub (s1 1 + s2 0.5) + call k 4
    assert path.total == 17.5
    assert path.elements == (
        ("a", 1.0),
        ("c", 5.0),
        ("d", 3.0),
        ("g", 1.0),
        ("h", 2.0),
        ("s1", 1.0),
        ("s2", 0.5),
        ("k", 4.0),
    )


def test_the_parallel_branch_of_two_steps_wins_when_it_is_longer(engine):
    path = longest_path(deploy(engine, "allot_paths.bpmn"), {**SHARES, "e": 2, "f": 2})
    assert [element for element, _ in path.elements][2:4] == ["e", "f"]
    assert path.total == 18.5  # e 2 + f 2 instead of d 3: parallel branches take the max, not the sum


def test_a_boundary_event_path_is_not_part_of_the_main_path(engine):
    path = longest_path(deploy(engine, "allot_paths.bpmn"), {"t": 100, "a": 1})
    assert path.total == 1 and path.elements == (("a", 1.0),)


def test_a_subprocess_weighs_its_own_allotment_plus_its_longest_path(engine):
    path = longest_path(deploy(engine, "allot_paths.bpmn"), {"sub": 2, "s1": 1, "call": 0.5, "k": 1})
    assert path.total == 4.5
    assert path.elements == (("sub", 2.0), ("s1", 1.0), ("call", 0.5), ("k", 1.0))


def test_elements_without_an_allotment_weigh_nothing(engine):
    assert longest_path(deploy(engine, "allot_paths.bpmn"), {}).total == 0
    assert longest_path(deploy(engine, "allot_paths.bpmn"), {"unknown": 3}).elements == ()


def test_fractions_add_up_exactly_enough_to_fit(engine):
    path = longest_path(deploy(engine, "allot_paths.bpmn"), {"a": 0.1, "b": 0.2})
    assert path.total == 0.3 and not path.exceeds(0.3) and path.exceeds(0.29)


def test_the_dossier_process_counts_its_appraisal_loop_and_consultation_once_without_the_apology(engine):
    definition = dossier(engine)
    declared = declared_allotments(definition)
    assert declared["apology"] == 0.5 and declared["hand_back"] == 0.5  # declared, but off the main path
    path = longest_path(definition, declared)
    assert [element for element, _ in path.elements] == [
        "receive",
        "digitise",
        "assign",
        "appraise",
        "consult",
        "approve",
        "issue_result",
    ]
    assert path.total == 0.5 + 0.5 + 0.5 + 2 + 1 + 1 + 0.5


def test_the_old_building_permit_shares_claimed_18_days_of_15(engine):
    definition = dossier(engine)
    old = {
        "receive": 0.5,
        "digitise": 0.5,
        "assign": 1,
        "appraise": 9,
        "consult": 3,
        "approve": 2,
        "issue_result": 1,
        "return_result": 1,
    }
    path = longest_path(definition, {**declared_allotments(definition), **old})
    assert path.total == 18 and path.exceeds(15)


def test_every_shipped_procedure_fits_its_statutory_time(engine):
    definition = dossier(engine)
    for procedure in json.loads((ROOT / "data" / "procedures.json").read_text(encoding="utf-8")):
        shares = {**declared_allotments(definition), **procedure["step_allotments"]}
        path = longest_path(definition, shares)
        assert not path.exceeds(procedure["processing_days"]), (procedure["code"], path)


def test_the_main_path_leaves_out_what_follows_a_boundary_event(engine):
    main = main_path_elements(dossier(engine))
    assert {"receive", "digitise", "assign", "appraise", "consult", "approve", "return_result"} <= main
    assert not main & {"apology", "apology_timer", "hand_back", "withdrawal", "end_withdrawn"}
    assert "t" not in main_path_elements(deploy(engine, "allot_paths.bpmn"))
    assert {"s1", "k"} <= main_path_elements(deploy(engine, "allot_paths.bpmn"))


def test_a_path_that_ends_with_an_error_inside_a_subprocess_does_not_go_on_after_it(engine):
    definition = deploy(engine, "allot_error_end.bpmn")
    # x 1 then y 5 to the error end (what its boundary event starts, h, is not counted): 6;
    # x 1, z 1 to the normal end, then w 3: 5.
    stopped = longest_path(definition, {"x": 1, "y": 5, "z": 1, "w": 3, "h": 10})
    assert stopped.total == 6 and stopped.elements == (("x", 1.0), ("y", 5.0))
    completed = longest_path(definition, {"x": 1, "y": 2, "z": 1, "w": 3, "h": 10})
    assert completed.total == 5 and completed.elements == (("x", 1.0), ("z", 1.0), ("w", 3.0))


def test_the_dossier_stopped_with_a_notice_is_not_returned_afterwards(engine):
    path = longest_path(dossier(engine), {"issue_stop_notice": 5, "return_result": 1})
    assert path.total == 5 and path.elements == (("issue_stop_notice", 5.0),)
