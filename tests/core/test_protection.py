"""Which writes touch which environments, and who needs a change request for them
(core/protection.py, docs/change-requests.md)."""

from __future__ import annotations

import copy
from typing import Any

from vexil.core.auth import Principal, Role
from vexil.core.protection import needs_request, required_approvals, touched

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
