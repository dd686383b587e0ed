"""Which writes touch which environments, and who needs a change request for them
(core/protection.py, docs/change-requests.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vexil.core.auth import Forbidden, Principal, Role
from vexil.core.protection import (
    arrival_touches,
    needs_request,
    refuse_unless_direct,
    required_approvals,
    segment_touches,
    touched,
)

ENVIRONMENTS = ["development", "staging", "production"]
PROTECTED = [
    {"name": "development", "protected": False, "required_approvals": 1},
    {"name": "staging", "protected": True, "required_approvals": 1},
    {"name": "production", "protected": True, "required_approvals": 2},
]
ADMIN = Principal("root", Role.ADMIN)
# A principal who may write but not bypass protection (the editor role, once there is one).
WRITER = Principal("ed", Role.SERVER)


def flag(**fields: Any) -> dict[str, Any]:
    return {
        "name": "checkout",
        "enabled": False,
        "rollout_percentage": 100,
        "variants": [],
        "default_variant": None,
        "prerequisites": [],
        "allowlist": {},
        "rules": [],
        "apps": [],
        "salt": "checkout",
        "archived": False,
        "description": "",
        "tags": [],
        "environments": {"staging": {"enabled": True}},
        **fields,
    }


def changed(doc: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(doc), **fields}


def test_touched__override_of_one_environment__only_that_one() -> None:
    # Given a flag; When production gets an override
    before = flag()
    after = changed(before, environments={**before["environments"], "production": {"enabled": True}})
    # Then only production's evaluation changes
    assert touched(before, after, ENVIRONMENTS) == {"production"}


def test_touched__own_switch__every_environment_that_does_not_override_it() -> None:
    # Given a flag whose staging overrides `enabled`; When its own switch is turned on
    before = flag()
    after = changed(before, enabled=True)
    # Then development and production change, staging (its own switch) does not
    assert touched(before, after, ENVIRONMENTS) == {"development", "production"}


def test_touched__variants_or_apps__every_environment() -> None:
    before = flag()
    assert touched(before, changed(before, apps=["web"]), ENVIRONMENTS) == set(ENVIRONMENTS)
    assert touched(before, changed(before, salt="other"), ENVIRONMENTS) == set(ENVIRONMENTS)


def test_touched__description_tags_owner__no_environment() -> None:
    before = flag()
    after = changed(before, description="new words", tags=["checkout"], owner="team-pay", stale=True)
    assert touched(before, after, ENVIRONMENTS) == set()


def test_touched__created_or_deleted__every_environment() -> None:
    assert touched(None, flag(), ENVIRONMENTS) == set(ENVIRONMENTS)
    assert touched(flag(), None, ENVIRONMENTS) == set(ENVIRONMENTS)


def test_needs_request__writer_changes_protected_environment__those_environments() -> None:
    # Given staging and production protected; When a writer turns the flag's own switch on
    before = flag()
    after = changed(before, enabled=True)
    # Then production (protected, not overridden) needs a request; development is not protected
    assert needs_request(before, after, PROTECTED, WRITER) == {"production"}


def test_needs_request__admin__never() -> None:
    before = flag()
    assert needs_request(before, changed(before, enabled=True), PROTECTED, ADMIN) == set()


def test_needs_request__writer_changes_unprotected_environment_only__none() -> None:
    before = flag()
    after = changed(before, environments={**before["environments"], "development": {"enabled": True}})
    assert needs_request(before, after, PROTECTED, WRITER) == set()


def test_required_approvals__most_of_the_protected_touched__at_least_one() -> None:
    assert required_approvals({"staging", "production"}, PROTECTED) == 2
    assert required_approvals({"staging"}, PROTECTED) == 1
    assert required_approvals({"development"}, PROTECTED) == 1


def test_arrival_touches__flag_leaves__every_environment() -> None:
    # Given a flag; When it is deleted, or archived
    before = flag()
    # Then every environment loses it
    assert arrival_touches(before, None, ENVIRONMENTS) == set(ENVIRONMENTS)
    assert arrival_touches(before, changed(before, archived=True), ENVIRONMENTS) == set(ENVIRONMENTS)


def test_arrival_touches__flag_arrives__only_where_it_is_on() -> None:
    # Given a flag off but on in staging's override; When it is created, or restored
    doc = flag()
    # Then only staging, where it is on, changes its answer
    assert arrival_touches(None, doc, ENVIRONMENTS) == {"staging"}
    assert arrival_touches(changed(doc, archived=True), doc, ENVIRONMENTS) == {"staging"}


def test_segment_touches__own_rules_and_one_override_through_a_nested_segment__those_environments() -> None:
    # Given segment `inner` used by segment `outer`; a flag whose own rules use `outer`, with staging's
    # own rules; another archived flag using `inner` everywhere
    uses = [{"conditions": [{"operator": "in_segment", "value": "outer"}]}]
    doc = flag(rules=uses, environments={"staging": {"rules": []}})
    archived = flag(name="old", rules=uses, archived=True)
    segments = {"outer": [{"operator": "in_segment", "value": "inner"}], "inner": []}
    # When `inner` changes: Then development and production (which inherit the rules) evaluate it
    assert segment_touches("inner", [doc, archived], segments, ENVIRONMENTS) == {
        "development": {"checkout"},
        "production": {"checkout"},
    }


def test_refuse_unless_direct__protected_environment__forbidden_for_a_writer_not_an_admin() -> None:
    # Given a write that touches production
    # Then a writer is refused, naming it, and an admin is not
    with pytest.raises(Forbidden, match="deleting flag 'checkout' changes protected environment production: an admin"):
        refuse_unless_direct({"production"}, WRITER, doing="deleting flag 'checkout'")
    refuse_unless_direct({"production"}, ADMIN, doing="deleting flag 'checkout'")
    refuse_unless_direct(set(), WRITER, doing="deleting flag 'checkout'")
