"""`vexil rule add|list|remove|move|inherit`: the targeting rules of a flag, or of one environment's override.

Rules are numbered from 0, as `vexil eval` and the API report the deciding rule. With `--env`, a
change starts from the rules that apply in that environment today (its override's, or the flag's
if it inherits them), like `vexil flag allow --env`, and writes them as that environment's override;
`rule inherit` drops the override's rules so the environment follows the flag again. The flag's own
rules are written with its `version`, so a concurrent change is a 409 rather than a lost update.
"""

from __future__ import annotations

from typing import Any

import click

from vexil.cli import render
from vexil.cli.client import VexilClient, path
from vexil.cli.conditions import fetch_operators, parse_conditions, when_option
from vexil.cli.envs import ask_to_create
from vexil.cli.errors import InputError
from vexil.cli.params import PERCENT
from vexil.cli.state import State, json_option, pass_state

env_option = click.option("--env", "environment", metavar="ENV", help="The rules of this environment's override.")


@click.group("rule")
def rule_group() -> None:
    """Add, list, remove and reorder a flag's targeting rules (with --env: an environment's)."""


def _rules(doc: dict[str, Any], environment: str | None) -> tuple[list[dict[str, Any]], bool]:
    """The rules that apply, and whether `environment` inherits them from the flag."""
    if environment is None:
        return list(doc["rules"]), False
    override = doc["environments"].get(environment, {})
    if override.get("rules") is None:
        return list(doc["rules"]), True
    return list(override["rules"]), False


def _where(name: str, environment: str | None) -> str:
    return f"{name} in {environment}" if environment else name


def _write(client: VexilClient, doc: dict[str, Any], environment: str | None, rules: Any) -> dict[str, Any]:
    if environment is None:
        body = {"rules": rules, "version": doc["version"]}
        written: dict[str, Any] = client.request("PATCH", path("flags", doc["name"]), json=body)
    else:
        body = {"environment": environment, "rules": rules}
        ask_to_create(client, environment)
        written = client.request("POST", path("flags", doc["name"], "environments"), json=body)
    return written


def _show(state: State, doc: dict[str, Any], environment: str | None) -> None:
    rules, inherited = _rules(doc, environment)
    where = _where(doc["name"], environment)
    state.output.show(doc, lambda: render.rules_table(rules, where=where, inherited=inherited))


def _index(rules: list[dict[str, Any]], index: int, where: str, *, insert: bool = False) -> int:
    last = len(rules) if insert else len(rules) - 1
    if not 0 <= index <= last:
        if last < 0:
            raise InputError(f"{where} has no rules")
        raise InputError(f"{where} has no rule {index} (rules are numbered 0 to {last})")
    return index


@rule_group.command("list")
@click.argument("name")
@env_option
@json_option
@pass_state
def list_rules(state: State, name: str, environment: str | None) -> None:
    """List the rules, in the order they are tried."""
    doc = state.client().request("GET", path("flags", name))
    rules, inherited = _rules(doc, environment)
    data = {"flag": name, "environment": environment, "inherited": inherited, "rules": rules}
    where = _where(name, environment)
    state.output.show(data, lambda: render.rules_table(rules, where=where, inherited=inherited))


@rule_group.command("add")
@click.argument("name")
@when_option
@click.option("--rollout", type=PERCENT, default=100, show_default=True, help="The share of matching users it decides.")
@click.option("--serve", metavar="VARIANT", help="The variant it serves (default: the flag's weighted split).")
@click.option("--at", "position", type=int, help="Insert at this position (default: last).")
@env_option
@json_option
@pass_state
def add_rule(state: State, /, name: str, environment: str | None, **options: Any) -> None:
    """Add a rule: when every --when matches, serve --serve to --rollout percent of users.

    A rule without --when matches everyone.
    """
    client = state.client()
    conditions, position = options["conditions"], options["position"]
    parsed = parse_conditions(conditions, fetch_operators(client)) if conditions else []
    doc = client.request("GET", path("flags", name))
    rules, _ = _rules(doc, environment)
    at = len(rules) if position is None else _index(rules, position, _where(name, environment), insert=True)
    rules.insert(at, {"conditions": parsed, "rollout_percentage": options["rollout"], "serve": options["serve"]})
    _show(state, _write(client, doc, environment, rules), environment)


@rule_group.command("remove")
@click.argument("name")
@click.argument("index", type=int)
@env_option
@json_option
@pass_state
def remove_rule(state: State, name: str, index: int, environment: str | None) -> None:
    """Remove rule INDEX (as `vexil rule list` numbers it)."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    rules, _ = _rules(doc, environment)
    del rules[_index(rules, index, _where(name, environment))]
    _show(state, _write(client, doc, environment, rules), environment)


@rule_group.command("move")
@click.argument("name")
@click.argument("index", type=int)
@click.argument("to", type=int)
@env_option
@json_option
@pass_state
def move_rule(state: State, name: str, index: int, to: int, environment: str | None) -> None:
    """Move rule INDEX to position TO; the rules between shift by one. Rules are tried in order."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    rules, _ = _rules(doc, environment)
    where = _where(name, environment)
    rule = rules.pop(_index(rules, index, where))
    rules.insert(_index([*rules, rule], to, where), rule)
    _show(state, _write(client, doc, environment, rules), environment)


@rule_group.command("inherit")
@click.argument("name")
@click.option("--env", "environment", metavar="ENV", required=True, help="The environment that inherits again.")
@json_option
@pass_state
def inherit_rules(state: State, name: str, environment: str) -> None:
    """Drop ENV's own rules: it follows the flag's rules again (the rest of its override stays)."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    _show(state, _write(client, doc, environment, None), environment)
