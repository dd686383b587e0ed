"""Replays the language-neutral cases in tests/cases/*.json (see tests/cases/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vexil.engine import Snapshot

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
EXPECTED_KEYS = {"active", "variant", "payload", "reason", "rule"}


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for number, item in enumerate(suite["cases"]):
            params.append(pytest.param(suite, item, id=f"{path.stem}[{number}]: {item['name']}"))
    return params


CASES = load_cases()


def test_case_files__present_and_well_formed() -> None:
    # Given the case directory
    suites = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(CASES_DIR.glob("*.json"))]
    # When read
    # Then every file has the documented keys, and every case names a flag and expects all five fields
    assert len(suites) >= 7
    for suite in suites:
        assert set(suite) == {"description", "segments", "flags", "cases"}
        for item in suite["cases"]:
            assert set(item) == {"name", "flag", "context", "expected"}
            assert set(item["expected"]) == EXPECTED_KEYS


@pytest.mark.parametrize(("suite", "item"), CASES)
def test_case__replayed__matches_expected(suite: dict[str, Any], item: dict[str, Any]) -> None:
    # Given the file's flags and segments
    snapshot = Snapshot(suite["flags"], suite["segments"])
    # When the case's flag is evaluated for its context, alone and among all flags
    result = snapshot.evaluate(item["flag"], item["context"])
    among_all = {r.flag: r for r in snapshot.evaluate_all(item["context"])}
    # Then the result is the expected one, the same either way
    assert result.admin_dict() == {"flag": item["flag"], **item["expected"]}
    if item["flag"] in snapshot:
        assert among_all[item["flag"]] == result
