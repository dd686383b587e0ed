"""Store contract: protected environments, and change requests kept, reviewed and applied in one
transaction (docs/change-requests.md), on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.store import Conflict, InvalidValue, NotFound, SqlStore, Step

Doc = dict[str, Any]


def enabling(flag: str, version: int = 1) -> Doc:
    return {"kind": "enable", "flag": flag, "environment": "production", "enabled": True, "version": version}


def request_fields(*changes: Doc, state: str = "open") -> Doc:
    return {
        "title": "Turn it on in production",
        "state": state,
        "environments": ["production"],
        "required_approvals": 1,
        "changes": list(changes),
    }


def turned_on(doc: Doc) -> Doc:
    doc["environments"]["production"] = {"enabled": True}
    return doc


async def test_protect_environment__protected_with_two_approvals__listed_and_audited(store: SqlStore) -> None:
    # Given the default environments; When production is protected, two approvals required
    listed = await store.protect_environment("production", protected=True, required_approvals=2, actor="alice")
    # Then its listing says so, the others stay unprotected
    assert (listed["protected"], listed["required_approvals"]) == (True, 2)
    others = [env for env in await store.list_environments() if env["name"] != "production"]
    assert all(env["protected"] is False and env["required_approvals"] == 1 for env in others)
    # And the audit log says who did it, from what to what
    event = (await store.list_audit(limit=1))[0]
    assert (event["actor"], event["entity"], event["entity_id"]) == ("alice", "environment", "production")
    assert (event["before"]["protected"], event["after"]["protected"]) == (False, True)


async def test_protect_environment__unknown__not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.protect_environment("nowhere", protected=True, required_approvals=None, actor="alice")


async def test_change_request__created__read_back_and_listed_by_state(store: SqlStore) -> None:
    # Given a flag; When a change request is made for it, and a draft for another change
    await store.create_flag({"name": "checkout"}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout")), actor="bob")
    draft = await store.create_change_request(request_fields(enabling("checkout"), state="draft"), actor="bob")
    # Then it reads back with its changes, the versions they were made against, and no reviews
    read = await store.get_change_request(made["id"])
    assert read == made
    assert (read["state"], read["requester"], read["round"], read["approvals"]) == ("open", "bob", 1, [])
    assert read["changes"] == [enabling("checkout")]
    # And the list filters by state, newest first
    assert [r["id"] for r in await store.list_change_requests()] == [draft["id"], made["id"]]
    assert [r["id"] for r in await store.list_change_requests(state="open")] == [made["id"]]


async def test_step_change_request__approved_then_rebased__approvals_cleared_in_a_new_round(store: SqlStore) -> None:
    # Given a change request with an approval
    await store.create_flag({"name": "checkout"}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout")), actor="bob")
    approved = await store.step_change_request(made["id"], lambda _: Step("approve", "approved", "ok"), actor="carol")
    assert (approved["state"], approved["approvals"]) == ("approved", ["carol"])
    # When it is rebased on the flag's version 2
    rebased = await store.step_change_request(
        made["id"], lambda _: Step("rebase", "open", versions={"checkout": 2}), actor="bob"
    )
    # Then its changes are made against version 2, in round 2, with no approval, the history kept
    assert (rebased["state"], rebased["round"], rebased["approvals"]) == ("open", 2, [])
    assert rebased["changes"][0]["version"] == 2
    assert [(r["kind"], r["actor"], r["round"]) for r in rebased["reviews"]] == [
        ("approve", "carol", 1),
        ("rebase", "bob", 2),
    ]


async def test_step_change_request__decision_refuses__nothing_kept(store: SqlStore) -> None:
    # Given a change request
    await store.create_flag({"name": "checkout"}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout")), actor="bob")

    def refuse(_: Doc) -> Step:
        raise Conflict("not now")

    # When the decision refuses; Then it comes out unchanged and the request is as it was
    with pytest.raises(Conflict, match="not now"):
        await store.step_change_request(made["id"], refuse, actor="carol")
    assert await store.get_change_request(made["id"]) == made


async def test_apply_change_request__two_flags__both_written_audited_with_requester_and_approvers(
    store: SqlStore,
) -> None:
    # Given an approved change request of two flags
    for name in ("checkout", "search"):
        await store.create_flag({"name": name}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout"), enabling("search")), actor="bob")
    await store.step_change_request(made["id"], lambda _: Step("approve", "approved"), actor="carol")
    # When it is applied by dave
    via = {"change_request": made["id"], "requester": "bob", "approvers": ["carol"], "applied_by": "dave"}
    applied, written = await store.apply_change_request(
        made["id"],
        lambda _: {"checkout": ("toggle", turned_on), "search": ("toggle", turned_on)},
        actor="dave",
        via=lambda _: via,
    )
    # Then both flags changed, the request is applied by dave
    assert {name: doc["environments"] for name, doc in written.items()} == {
        "checkout": {"production": {"enabled": True}},
        "search": {"production": {"enabled": True}},
    }
    assert (applied["state"], applied["applied_by"]) == ("applied", "dave")
    # And each flag's audit event names the requester as actor, and the request, its approvers and applier
    event = (await store.list_audit(flag="checkout", limit=1))[0]
    assert (event["actor"], event["action"], event["via"]) == ("bob", "toggle", via)


async def test_apply_change_request__second_change_fails__nothing_applied(store: SqlStore) -> None:
    # Given an approved change request of two flags
    for name in ("checkout", "search"):
        await store.create_flag({"name": name}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout"), enabling("search")), actor="bob")
    await store.step_change_request(made["id"], lambda _: Step("approve", "approved"), actor="carol")

    def broken(_: Doc) -> Doc:
        raise Conflict("search cannot change")

    # When the second flag's change fails while applying
    with pytest.raises(Conflict, match="search cannot change"):
        await store.apply_change_request(
            made["id"],
            lambda _: {"checkout": ("toggle", turned_on), "search": ("toggle", broken)},
            actor="dave",
            via=lambda _: {},
        )
    # Then the first flag did not change either, and the request is still approved
    assert (await store.get_flag("checkout"))["version"] == 1
    assert (await store.get_change_request(made["id"]))["state"] == "approved"


async def test_apply_change_request__flag_moved_since__conflict_saying_rebase(store: SqlStore) -> None:
    # Given an approved change request made against version 1, and the flag changed since
    await store.create_flag({"name": "checkout"}, actor="alice")
    made = await store.create_change_request(request_fields(enabling("checkout")), actor="bob")
    await store.step_change_request(made["id"], lambda _: Step("approve", "approved"), actor="carol")
    await store.update_flag("checkout", lambda doc: {**doc, "description": "moved"}, actor="alice")
    # When it is applied; Then it is refused, saying to rebase, and nothing changed
    with pytest.raises(Conflict, match="rebase"):
        await store.apply_change_request(
            made["id"], lambda _: {"checkout": ("toggle", turned_on)}, actor="dave", via=lambda _: {}
        )
    assert (await store.get_flag("checkout"))["environments"] == {}


async def test_change_request__unknown_id__not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="change request 99"):
        await store.get_change_request(99)


async def test_export_import__protected_environment__kept_and_unprotected_ones_unmarked(store: SqlStore) -> None:
    # Given production protected with two approvals
    await store.protect_environment("production", protected=True, required_approvals=2, actor="alice")
    # When the state is exported; Then production says so, the others say nothing
    exported = await store.export_state()
    environments = {env["name"]: env for env in exported["environments"]}
    assert (environments["production"]["protected"], environments["production"]["required_approvals"]) == (True, 2)
    assert "protected" not in environments["staging"]
    # When it is imported back; Then production is still protected
    await store.import_state(exported, actor="alice")
    listed = {env["name"]: env for env in await store.list_environments()}
    assert (listed["production"]["protected"], listed["production"]["required_approvals"]) == (True, 2)


async def test_import__bad_protection__refused_naming_the_field(store: SqlStore) -> None:
    state = {"environments": [{"name": "production", "protected": "yes"}], "flags": [], "segments": []}
    with pytest.raises(InvalidValue, match=r"environments\[0\]\.protected"):
        await store.import_state(state, actor="alice")
