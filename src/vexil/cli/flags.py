"""`vexil flag ...`: list, inspect, create, delete and change flags."""

from __future__ import annotations

from typing import Any

import click
from rich.text import Text

from vexil.cli import render
from vexil.cli.client import Params, path
from vexil.cli.envs import ask_to_create
from vexil.cli.errors import CliError, InputError
from vexil.cli.lifecycle import archive, restore, stale, usage
from vexil.cli.params import PERCENT, VARIANTS
from vexil.cli.prereqs import prereq_group
from vexil.cli.state import State, json_option, pass_state

env_option = click.option("--env", "environment", metavar="ENV", help="Act on this environment's override.")


@click.group("flag")
def flag_group() -> None:
    """List, inspect, create, delete and change flags."""


@flag_group.command("list")
@click.option("--enabled/--disabled", "enabled", default=None, help="Only flags that are on (or off).")
@click.option("--app", help="Only flags that apply to this app.")
@click.option("--env", "environment", metavar="ENV", help="With --enabled/--disabled: as in this environment.")
@click.option("--tag", help="Only flags with this tag.")
@click.option("--query", "-q", help="Only flags whose name or description contains this.")
@json_option
@pass_state
def list_flags(
    state: State, enabled: bool | None, app: str | None, environment: str | None, tag: str | None, query: str | None
) -> None:
    """List flags."""
    params: dict[str, str | list[str]] = {
        key: value for key, value in {"app": app, "environment": environment, "tag": tag, "q": query}.items() if value
    }
    if enabled is not None:
        params["enabled"] = "true" if enabled else "false"
    flags = state.client().request("GET", "/flags", params=params)["flags"]
    state.output.show(flags, lambda: render.flags_table(flags))


@flag_group.command("get")
@click.argument("name")
@json_option
@pass_state
def get_flag(state: State, name: str) -> None:
    """Show one flag with its variants, rules, overrides and apps."""
    client = state.client()
    doc = client.request("GET", path("flags", name))
    state.output.show(doc, lambda: render.flag_detail(doc, client.request("GET", path("flags", name, "unleash"))))


@flag_group.command("create")
@click.argument("name")
@click.option("--description", "-d", help="What the flag is for.")
@click.option("--variants", type=VARIANTS, help="Comma-separated variants, e.g. a,b or a:1,b:3 (default: off,on).")
@click.option("--default", "default_variant", metavar="VARIANT", help="Served when the flag is off for a user.")
@click.option("--enabled", is_flag=True, help="Create it switched on (default: off).")
@click.option(
    "--kind", help="What the flag is for: release (default), experiment, operational, kill_switch, permission."
)
@click.option("--owner", help="Who answers for the flag.")
@json_option
@pass_state
def create_flag(state: State, /, name: str, **options: Any) -> None:
    """Create a flag.

    It starts off unless --enabled, and is a boolean flag (variants off, on) unless --variants.
    """
    body: dict[str, Any] = {"name": name, "enabled": options["enabled"]}
    body.update({key: options[key] for key in ("description", "kind", "owner") if options[key] is not None})
    body.update(_variant_fields(options["variants"], options["default_variant"]))
    doc = state.client().request("POST", "/flags", json=body)
    state.output.show(doc, lambda: Text.assemble("Created ", render.flag_state(doc)))


def _variant_fields(variants: list[dict[str, Any]] | None, default_variant: str | None) -> dict[str, Any]:
    """`variants` and `default_variant` for a write; a default that is not among new variants is bad usage."""
    fields: dict[str, Any] = {}
    if variants is not None:
        fields["variants"] = variants
        if default_variant is not None and default_variant not in {v["name"] for v in variants}:
            names = ", ".join(v["name"] for v in variants)
            raise click.BadParameter(
                f"{default_variant!r} is not one of the variants ({names})", param_hint="'--default'"
            )
    if default_variant is not None:
        fields["default_variant"] = default_variant
    return fields


SALT_WARNING = (
    "Changing the salt reshuffles users: who falls inside each rollout percentage and which variant "
    "each user gets in a split change for every user at once."
)


@flag_group.command("update")
@click.argument("name")
@click.option("--description", "-d", help="What the flag is for.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable); the tags given replace the flag's tags.")
@click.option("--no-tags", is_flag=True, help="Remove every tag.")
@click.option("--variants", type=VARIANTS, help="Replace the variants: a,b or a:1,b:3.")
@click.option("--default", "default_variant", metavar="VARIANT", help="Served when the flag is off for a user.")
@click.option("--salt", help="The bucketing salt (reshuffles users: asks first unless --yes).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before changing the salt.")
@click.option("--kind", help="What the flag is for: release, experiment, operational, kill_switch or permission.")
@click.option("--owner", help="Who answers for the flag.")
@click.option("--stale/--not-stale", "stale", default=None, help="Mark the flag stale (or take the mark back).")
@json_option
@pass_state
def update_flag(state: State, /, name: str, **options: Any) -> None:
    """Change a flag's description, tags, variants, default variant, salt, kind, owner or stale mark.

    Only what is given changes. --variants without --default makes the first new variant the default.
    """
    tags, salt = options["tags"], options["salt"]
    if tags and options["no_tags"]:
        raise click.UsageError("--no-tags removes every tag; it takes no --tag")
    body: dict[str, Any] = _variant_fields(options["variants"], options["default_variant"])
    if options["description"] is not None:
        body["description"] = options["description"]
    if tags or options["no_tags"]:
        body["tags"] = list(tags)
    body.update({key: options[key] for key in ("kind", "owner", "stale") if options[key] is not None})
    if salt is not None:
        if not options["yes"]:  # --yes is the acknowledgement; otherwise the warning comes with the question
            click.echo(f"vexil: warning: {SALT_WARNING}", err=True)
            if not click.confirm(f"Change the salt of {name!r}?", err=True):
                raise CliError(f"the salt of {name!r} was not changed")
        body["salt"] = salt
    if not body:
        raise click.UsageError(
            "nothing to change: give --description, --tag, --no-tags, --variants, --default, --salt, --kind, "
            "--owner or --stale/--not-stale"
        )
    doc = state.client().request("PATCH", path("flags", name), json=body)
    state.output.show(doc, lambda: Text.assemble("Updated ", render.flag_state(doc)))


@flag_group.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_state
def delete_flag(state: State, name: str, yes: bool) -> None:
    """Delete a flag with its overrides and app scopes."""
    if not yes and not click.confirm(f"Delete flag {name!r} and its overrides?", err=True):
        raise CliError(f"flag {name!r} was not deleted")
    state.client().request("DELETE", path("flags", name))
    state.output.show({"name": name, "deleted": True}, lambda: render.message(f"Deleted flag {name}."))


def _set_enabled(state: State, name: str, environment: str | None, *, enabled: bool) -> None:
    client = state.client()
    if environment is None:
        doc = client.request("PATCH", path("flags", name), json={"enabled": enabled})
    else:
        body = {"environment": environment, "enabled": enabled}
        ask_to_create(client, environment)
        doc = client.request("POST", path("flags", name, "environments"), json=body)
    state.output.show(doc, lambda: render.flag_state(doc, environment))


@flag_group.command("enable")
@click.argument("name")
@env_option
@json_option
@pass_state
def enable(state: State, name: str, environment: str | None) -> None:
    """Switch a flag on.

    Without --env the flag's own switch; with --env that environment's override.
    """
    _set_enabled(state, name, environment, enabled=True)


@flag_group.command("disable")
@click.argument("name")
@env_option
@json_option
@pass_state
def disable(state: State, name: str, environment: str | None) -> None:
    """Switch a flag off (the kill switch).

    Rules, allowlist and rollout stay stored. With --env, only that environment's override.
    """
    _set_enabled(state, name, environment, enabled=False)


@flag_group.command("toggle")
@click.argument("name")
@env_option
@json_option
@pass_state
def toggle(state: State, name: str, environment: str | None) -> None:
    """Flip a flag on or off (with --env: in that environment)."""
    params: Params = {"environment": environment} if environment else {}
    doc = state.client().request("POST", path("flags", name, "toggle"), params=params)
    state.output.show(doc, lambda: render.flag_state(doc, environment))


@flag_group.command("rollout")
@click.argument("name")
@click.argument("percent", type=PERCENT)
@env_option
@json_option
@pass_state
def rollout(state: State, name: str, percent: float, environment: str | None) -> None:
    """Set the share of users who get a flag.

    PERCENT is 0 to 100 with at most two decimals (`25`, `12.5`, `7.25%`).
    """
    client = state.client()
    if environment is None:
        doc = client.request("PATCH", path("flags", name), json={"rollout_percentage": percent})
    else:
        body = {"environment": environment, "rollout_percentage": percent}
        ask_to_create(client, environment)
        doc = client.request("POST", path("flags", name, "environments"), json=body)
    state.output.show(doc, lambda: render.flag_state(doc, environment))


def pick_variant(doc: dict[str, Any], wanted: str | None) -> str:
    """`wanted` if the flag has it; by default `on`, else the first variant that is not the default."""
    names = [variant["name"] for variant in doc["variants"]]
    if wanted is not None:
        if wanted not in names:
            raise InputError(f"flag {doc['name']!r} has no variant {wanted!r} (it has {', '.join(names)})")
        return wanted
    candidates = [name for name in names if name != doc["default_variant"]]
    if not candidates:
        raise InputError(f"flag {doc['name']!r} has no variant besides its default; pass --variant")
    return "on" if "on" in candidates else candidates[0]


@flag_group.command("allow")
@click.argument("name")
@click.argument("identifier")
@click.option("--variant", help="Serve this variant (default: on, or the first non-default variant).")
@click.option("--remove", is_flag=True, help="Take IDENTIFIER off the allowlist instead.")
@env_option
@json_option
@pass_state
def allow(state: State, name: str, identifier: str, variant: str | None, remove: bool, environment: str | None) -> None:
    """Always serve IDENTIFIER a variant (or, with --remove, no longer).

    Adds IDENTIFIER to the flag's allowlist, or with --env to that environment's override (starting
    from the allowlist that applies there). The variant is --variant, else `on`, else the first
    variant that is not the default.
    """
    if remove and variant is not None:
        raise click.UsageError("--remove takes no --variant")
    client = state.client()
    doc = client.request("GET", path("flags", name))
    override = doc["environments"].get(environment, {}) if environment else {}
    allowlist = dict(override.get("allowlist", doc["allowlist"]))  # start from what applies there today
    where = f" in {environment}" if environment else ""
    if remove:
        if allowlist.pop(identifier, None) is None:
            raise InputError(f"{identifier!r} is not on the allowlist of {name!r}{where}")
        said = f"{name}: {identifier} is no longer on the allowlist{where}."
    else:
        chosen = pick_variant(doc, variant)
        allowlist[identifier] = chosen
        said = f"{name}: {identifier} now gets {chosen}{where}."
    if environment is None:
        # `version` makes the write conditional: a concurrent change is a 409, not a lost update.
        body: dict[str, Any] = {"allowlist": allowlist, "version": doc["version"]}
        doc = client.request("PATCH", path("flags", name), json=body)
    else:
        body = {"environment": environment, "allowlist": allowlist}
        ask_to_create(client, environment)
        doc = client.request("POST", path("flags", name, "environments"), json=body)
    state.output.show(doc, lambda: render.message(said))


@flag_group.command("override")
@click.argument("name")
@click.option("--env", "environment", metavar="ENV", required=True, help="The environment to override.")
@click.option("--enabled/--disabled", "enabled", default=None, help="Switch the flag on or off in ENV.")
@click.option("--rollout", type=PERCENT, help="The rollout percentage in ENV.")
@click.option("--clear", is_flag=True, help="Remove ENV's override: it follows the flag's own configuration again.")
@json_option
@pass_state
def override(
    state: State, name: str, environment: str, enabled: bool | None, rollout: float | None, clear: bool
) -> None:
    """Set or remove one environment's override of a flag."""
    if clear and (enabled is not None or rollout is not None):
        raise click.UsageError("--clear removes the whole override; it takes no --enabled, --disabled or --rollout")
    client = state.client()
    if clear:
        doc = client.request("DELETE", path("flags", name, "environments", environment))
        state.output.show(doc, lambda: Text.assemble("Override removed: ", render.flag_state(doc, environment)))
        return
    if enabled is None and rollout is None:
        raise click.UsageError("nothing to change: give --enabled, --disabled, --rollout or --clear")
    body: dict[str, Any] = {"environment": environment}
    if enabled is not None:
        body["enabled"] = enabled
    if rollout is not None:
        body["rollout_percentage"] = rollout
    ask_to_create(client, environment)
    doc = client.request("POST", path("flags", name, "environments"), json=body)
    state.output.show(doc, lambda: render.flag_state(doc, environment))


@flag_group.command("scope")
@click.argument("name")
@click.argument("app")
@click.option("--remove", is_flag=True, help="Remove APP from the flag's scope instead.")
@json_option
@pass_state
def scope(state: State, name: str, app: str, remove: bool) -> None:
    """Limit a flag to an app.

    A flag with no apps applies to every app. --remove takes APP out of the scope again.
    """
    client = state.client()
    if remove:
        doc = client.request("DELETE", path("flags", name, "apps", app))
    else:
        doc = client.request("POST", path("flags", name, "apps"), json={"app_name": app})
    apps = ", ".join(doc["apps"]) or "every app"
    state.output.show(doc, lambda: render.message(f"{name} applies to {apps}."))


flag_group.add_command(prereq_group)
for command in (archive, restore, stale, usage):
    flag_group.add_command(command)
