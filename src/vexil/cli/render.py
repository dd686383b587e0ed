"""Rich renderables for people. Every value from the server goes in as `Text`, never as markup,
so a description such as "[red]" prints as typed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

Doc = Mapping[str, Any]

# Every cell wraps at whole words, and a word wider than its column ends in "…": a table fits the
# terminal without breaking a word in half ("productio" / "n"). `--json` has the full values.
WRAP: Final = "ellipsis"


def percent(value: float) -> str:
    return f"{value:g}%"


def on_off(enabled: bool) -> Text:
    return Text("on", style="bold green") if enabled else Text("off", style="bold red")


def _text(value: Any) -> Text:
    if value is None:
        return Text("-", style="dim")
    if isinstance(value, str):
        return Text(value)
    return Text(json.dumps(value, ensure_ascii=False))


def json_value(value: Any) -> Text:
    """A setting's value as tables show it (`-` for none, JSON otherwise)."""
    return _text(value)


def _when(stamp: str | None) -> Text:
    """`2026-11-21T08:00:00.123456Z` as `2026-11-21 08:00:00Z`."""
    if not stamp:
        return _text(None)
    return Text(stamp.replace("T", " ", 1).split(".", 1)[0].removesuffix("Z") + "Z")


def effective(doc: Doc, environment: str | None) -> tuple[bool, float]:
    """`enabled` and `rollout_percentage` as they apply in `environment` (the flag's own for None)."""
    override: Doc = doc["environments"].get(environment, {}) if environment else {}
    return override.get("enabled", doc["enabled"]), override.get("rollout_percentage", doc["rollout_percentage"])


def flag_state(doc: Doc, environment: str | None = None) -> Text:
    """One line after a change: `checkout: on, rollout 25% in production (version 4)`; or, for a write
    that became a change request (a protected environment), which one."""
    if "requester" in doc:
        return change_request_line(doc)
    enabled, rollout = effective(doc, environment)
    where = f" in {environment}" if environment else ""
    return Text.assemble(
        (doc["name"], "bold"), ": ", on_off(enabled), f", rollout {percent(rollout)}{where} (version {doc['version']})"
    )


def message(text: str) -> Text:
    return Text(text)


# --- flags --------------------------------------------------------------------------------------


def _overrides(environments: Doc) -> Text:
    parts = []
    for env, override in sorted(environments.items()):
        bits = []
        if "enabled" in override:
            bits.append("on" if override["enabled"] else "off")
        if "rollout_percentage" in override:
            bits.append(percent(override["rollout_percentage"]))
        bits.extend(key for key in ("rules", "allowlist") if key in override)
        parts.append(f"{env}: {' '.join(bits) or 'inherits'}")
    return Text("\n".join(parts)) if parts else _text(None)


def flags_table(flags: Iterable[Doc]) -> RenderableType:
    flags = list(flags)
    if not flags:
        return Text("No flags.", style="dim")
    table = Table()
    table.add_column("Name", no_wrap=True)  # names are what people copy: never folded
    for column in ("Enabled", "Rollout", "Variants", "Apps", "Overrides", "Description"):
        table.add_column(column, overflow=WRAP)
    for doc in flags:
        table.add_row(
            Text(doc["name"], style="bold"),
            on_off(doc["enabled"]),
            Text(percent(doc["rollout_percentage"])),
            Text(", ".join(v["name"] for v in doc["variants"])),
            Text(", ".join(doc["apps"])) if doc["apps"] else Text("all", style="dim"),
            _overrides(doc["environments"]),
            Text(doc["description"]),
        )
    return table


def condition_text(condition: Doc) -> str:
    """A condition in the grammar `--when` reads (vexil.cli.conditions), so it can be pasted back."""
    negate = "not " if condition.get("negate") else ""
    nocase = "nocase " if condition.get("case_insensitive") else ""
    field = f"{condition['field']} " if condition.get("field") else ""
    value = "" if condition.get("value") is None else " " + json.dumps(condition["value"], ensure_ascii=False)
    return f"{negate}{nocase}{field}{condition['operator']}{value}"


def conditions_text(conditions: Iterable[Doc]) -> str:
    return " and ".join(condition_text(c) for c in conditions) or "everyone"


def rules_text(rules: Iterable[Doc]) -> Text:
    lines = []
    for index, rule in enumerate(rules):
        conditions = conditions_text(rule.get("conditions", []))
        serve = rule.get("serve") or "the weighted split"
        lines.append(f"{index}: if {conditions} serve {serve} to {percent(rule.get('rollout_percentage', 100))}")
    return Text("\n".join(lines)) if lines else _text(None)


def allowlist_text(allowlist: Doc) -> Text:
    return Text("\n".join(f"{who} → {variant}" for who, variant in allowlist.items())) if allowlist else _text(None)


def _variants(doc: Doc) -> Text:
    parts = []
    for variant in doc["variants"]:
        extra = " default" if variant["name"] == doc["default_variant"] else ""
        payload = "" if variant.get("payload") is None else f" payload {json.dumps(variant['payload'])}"
        parts.append(f"{variant['name']} (weight {variant['weight']}{extra}{payload})")
    return Text("\n".join(parts))


def prerequisites_text(doc: Doc) -> Text:
    lines = []
    for prerequisite in doc["prerequisites"]:
        state = "active" if prerequisite.get("active", True) else "inactive"
        variants = prerequisite.get("variants")
        lines.append(f"{prerequisite['flag']} is {state}" + (f" serving {', '.join(variants)}" if variants else ""))
    return Text("\n".join(lines)) if lines else _text(None)


def _environments_table(environments: Doc) -> Table:
    table = Table(title="Environment overrides", title_justify="left")
    table.add_column("Environment", no_wrap=True)
    for column in ("Enabled", "Rollout", "Rules", "Allowlist"):
        table.add_column(column, overflow=WRAP)
    for env, override in sorted(environments.items()):
        table.add_row(
            Text(env, style="bold"),
            on_off(override["enabled"]) if "enabled" in override else Text("inherits", style="dim"),
            Text(percent(override["rollout_percentage"]))
            if "rollout_percentage" in override
            else Text("inherits", style="dim"),
            rules_text(override["rules"]) if "rules" in override else Text("inherits", style="dim"),
            allowlist_text(override["allowlist"]) if "allowlist" in override else Text("inherits", style="dim"),
        )
    return table


def unleash_text(unleash: Doc | None) -> Text:
    """Whether Unleash SDKs get the flag (docs/unleash.md): where it is left out of their feed, and why."""
    if unleash is None:
        return _text(None)
    left_out = [item for item in unleash["environments"] if not item["served"]]
    if not left_out:
        return Text("served to Unleash SDKs", style="dim")
    return Text(
        "; ".join(f"left out {_where(item['environment'])}: {item['reason']}" for item in left_out), style="yellow"
    )


def _where(environment: str | None) -> str:
    return "for unbound tokens" if environment is None else f"in {environment}"


def flag_detail(doc: Doc, unleash: Doc | None = None) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow=WRAP)
    rows: list[tuple[str, Text]] = [
        ("name", Text(doc["name"], style="bold")),
        ("description", _text(doc["description"] or None)),
        ("enabled", on_off(doc["enabled"])),
        ("rollout", Text(percent(doc["rollout_percentage"]))),
        ("variants", _variants(doc)),
        ("tags", Text(", ".join(doc["tags"])) if doc["tags"] else _text(None)),
        ("apps", Text(", ".join(doc["apps"])) if doc["apps"] else Text("all apps", style="dim")),
        ("prerequisites", prerequisites_text(doc)),
        ("allowlist", allowlist_text(doc["allowlist"])),
        ("rules", rules_text(doc["rules"])),
        ("salt", Text(doc["salt"])),
        ("unleash", unleash_text(unleash)),
        ("version", Text(f"{doc['version']} (updated {_when(doc['updated_at'])})")),
    ]
    for key, value in rows:
        grid.add_row(key, value)
    if not doc["environments"]:
        return grid
    return Group(grid, Text(""), _environments_table(doc["environments"]))


# --- evaluation, audit, tokens ------------------------------------------------------------------


def evaluation(result: Doc) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow=WRAP)
    active = Text("active", style="bold green") if result.get("active") else Text("inactive", style="bold red")
    grid.add_row("flag", Text(str(result.get("flag", ""))))
    grid.add_row("variant", Text.assemble(_text(result.get("variant")), " (", active, ")"))
    grid.add_row("reason", Text(str(result.get("reason", ""))))
    if result.get("rule") is not None:
        grid.add_row("rule", Text(str(result["rule"])))
    if result.get("payload") is not None:
        grid.add_row("payload", _text(result["payload"]))
    return grid


def audit_table(events: Iterable[Doc]) -> RenderableType:
    events = list(events)
    if not events:
        return Text("No audit events.", style="dim")
    table = Table()
    for column in ("ID", "At", "Actor", "Action", "Entity"):
        table.add_column(column, overflow=WRAP)
    table.add_column("Name", no_wrap=True)
    for event in events:
        table.add_row(
            Text(str(event["id"])),
            _when(event["at"]),
            Text(event["actor"]),
            Text(event["action"] if event.get("reverts") is None else f"revert of {event['reverts']}"),
            Text(event["entity"]),
            Text(event["entity_id"]),
        )
    return table


def tokens_table(tokens: Iterable[Doc]) -> RenderableType:
    tokens = list(tokens)
    if not tokens:
        return Text("No tokens.", style="dim")
    table = Table()
    table.add_column("Name", no_wrap=True)
    for column in ("Role", "Environment", "Prefix", "Created", "Status"):
        table.add_column(column, overflow=WRAP)
    for token in tokens:
        status = Text("revoked", style="red") if token["revoked"] else Text("active", style="green")
        environment = token.get("environment")
        table.add_row(
            Text(token["name"], style="bold"),
            Text(token["role"]),
            Text(environment) if environment else Text("any", style="dim"),
            Text(token["prefix"]),
            _when(token["created_at"]),
            status,
        )
    return table


def people_table(people: Iterable[Doc]) -> RenderableType:
    people = list(people)
    if not people:
        return Text("No people yet: vexil user create EMAIL --name NAME --admin", style="dim")
    table = Table()
    table.add_column("Email", no_wrap=True)
    for column in ("Name", "Role", "Created", "Status"):
        table.add_column(column, overflow=WRAP)
    for person in people:
        status = Text("disabled", style="red") if person["disabled"] else Text("active", style="green")
        table.add_row(
            Text(person["email"], style="bold"),
            Text(person["name"]),
            Text(person["role"]),
            _when(person["created_at"]),
            status,
        )
    return table


def sdks_table(sdks: Iterable[Doc]) -> RenderableType:
    """Connected SDKs: one row per app, environment and instance."""
    sdks = list(sdks)
    if not sdks:
        return Text("No SDK has registered or posted metrics in the last 7 days.", style="dim")
    table = Table()
    table.add_column("App", no_wrap=True)
    for column in ("Environment", "Instance", "Kind", "SDK", "Flags", "Last seen"):
        table.add_column(column, overflow=WRAP)
    for sdk in sdks:
        name = " ".join(part for part in (sdk["sdk"], sdk["sdk_version"]) if part)
        table.add_row(
            Text(sdk["app"], style="bold"),
            Text(sdk["environment"]) if sdk["environment"] else Text("-", style="dim"),
            Text(sdk["instance"]),
            Text(sdk["kind"]),
            Text(name) if name else Text("-", style="dim"),
            Text(str(sdk["flags"])),
            _when(sdk["last_seen"]),
        )
    return table


def token_created(token: Doc) -> RenderableType:
    return Group(
        Text.assemble(
            "Created ",
            (token["role"], "bold"),
            " token ",
            (token["name"], "bold"),
            *((" for the ", (token["environment"], "bold"), " environment") if token.get("environment") else ()),
            ".",
        ),
        Text("Its secret is shown this once; keep it now:", style="yellow"),
        Text(token["token"]),
    )


# --- rules, segments, environments -------------------------------------------------------------


def rules_table(rules: Iterable[Doc], *, where: str, inherited: bool = False) -> RenderableType:
    """The rules that apply `where` ("checkout" or "checkout in production"), numbered as `eval` reports them."""
    rules = list(rules)
    note = Text(f"{where} inherits the flag's rules.", style="dim") if inherited else None
    if not rules:
        empty = Text(f"No rules: {where} serves its rollout to everyone.", style="dim")
        return Group(note, empty) if note else empty
    table = Table(title=f"Rules of {where}", title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Conditions", overflow=WRAP)
    table.add_column("Rollout", justify="right", no_wrap=True)
    table.add_column("Serve", overflow=WRAP)
    for index, rule in enumerate(rules):
        table.add_row(
            Text(str(index)),
            Text("\nand ".join(condition_text(c) for c in rule.get("conditions", [])) or "everyone"),
            Text(percent(rule.get("rollout_percentage", 100))),
            Text(rule["serve"]) if rule.get("serve") else Text("the split", style="dim"),
        )
    return Group(note, table) if note else table


def segments_table(segments: Iterable[Doc]) -> RenderableType:
    segments = list(segments)
    if not segments:
        return Text("No segments.", style="dim")
    table = Table()
    table.add_column("Name", no_wrap=True)  # names are what people copy: the other columns give way first
    table.add_column("Conditions", overflow=WRAP)
    table.add_column("Description", overflow=WRAP)
    for segment in segments:
        table.add_row(
            Text(segment["name"], style="bold"),
            Text("\nand ".join(condition_text(c) for c in segment["conditions"]) or "everyone"),
            _text(segment["description"] or None),
        )
    return table


def segment_detail(segment: Doc) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow=WRAP)
    grid.add_row("name", Text(segment["name"], style="bold"))
    grid.add_row("description", _text(segment["description"] or None))
    grid.add_row("conditions", Text("\n".join(condition_text(c) for c in segment["conditions"]) or "everyone"))
    grid.add_row("version", Text(f"{segment['version']} (updated {_when(segment['updated_at'])})"))
    return grid


def environments_table(environments: Iterable[Doc]) -> RenderableType:
    environments = list(environments)
    if not environments:
        return Text("No environments.", style="dim")
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("Name", overflow=WRAP)
    table.add_column("Protected", overflow=WRAP)
    table.add_column("Created", overflow=WRAP)
    for place, environment in enumerate(environments, start=1):
        table.add_row(
            Text(str(place)),
            Text(environment["name"], style="bold"),
            _protection(environment),
            _when(environment.get("created_at")),
        )
    return table


def _protection(environment: Doc) -> Text:
    if not environment.get("protected"):
        return Text("no", style="dim")
    approvals = environment.get("required_approvals", 1)
    return Text(f"yes, {approvals} approval{'s' if approvals != 1 else ''}", style="yellow")


# --- change requests (docs/change-requests.md) ---------------------------------------------------

_STATE_STYLES = {"draft": "dim", "open": "yellow", "approved": "green", "rejected": "red", "applied": "bold green"}


def _state(request: Doc) -> Text:
    return Text(request["state"], style=_STATE_STYLES.get(request["state"], ""))


def change_request_line(request: Doc) -> Text:
    """One line after a change request was made or reviewed."""
    approvals = f"{len(request['approvals'])}/{request['required_approvals']} approvals"
    return Text.assemble(
        "Change request ", (f"#{request['id']}", "bold"), f" {request['title']!r}: ", _state(request), f", {approvals}"
    )


def describe_change(change: Doc) -> str:
    """A change of a request in a few words: `toggle checkout in production: on`."""
    where = f" in {change['environment']}" if change.get("environment") else ""
    kind = change["kind"]
    if kind == "enable":
        return f"turn {change['flag']} {'on' if change['enabled'] else 'off'}{where}"
    if kind in ("patch", "override"):
        fields = ", ".join(f"{key}={json.dumps(value)}" for key, value in change["fields"].items())
        return f"{kind} {change['flag']}{where}: {fields}"
    if kind in ("add_app", "remove_app"):
        return f"{kind.replace('_', ' ')} {change['app']} on {change['flag']}"
    return f"{kind.replace('_', ' ')} {change['flag']}{where}"


def change_requests_table(requests: Iterable[Doc]) -> RenderableType:
    requests = list(requests)
    if not requests:
        return Text("No change requests.", style="dim")
    table = Table()
    table.add_column("ID", justify="right")
    for column in ("Title", "State", "Requester", "Environments", "Approvals", "Created"):
        table.add_column(column, overflow=WRAP)
    for request in requests:
        table.add_row(
            Text(str(request["id"])),
            Text(request["title"], style="bold"),
            _state(request),
            Text(request["requester"]),
            Text(", ".join(request["environments"]) or "-"),
            Text(f"{len(request['approvals'])}/{request['required_approvals']}"),
            _when(request["created_at"]),
        )
    return table


def change_request_detail(request: Doc) -> RenderableType:
    """A change request: its changes, their diff against the flags as they are, and its reviews."""
    lines: list[RenderableType] = [change_request_line(request)]
    lines.append(
        Text(f"Requested by {request['requester']}; environments: {', '.join(request['environments']) or '-'}")
    )
    lines += [
        Text(f"  - {describe_change(change)} (made against version {change['version']})")
        for change in request["changes"]
    ]
    diff = Table(title="Against the flags as they are")
    for column in ("Flag", "Setting", "Now", "After"):
        diff.add_column(column, overflow=WRAP)
    for flag in request.get("diff") or []:
        if flag["current_version"] != flag["made_against"]:
            lines.append(
                Text(f"{flag['flag']} changed since (version {flag['current_version']}): rebase it", style="red")
            )
        for change in flag["changes"]:
            diff.add_row(Text(flag["flag"]), Text(change["path"]), _text(change["before"]), _text(change["after"]))
    lines.append(diff)
    for review in request["reviews"]:
        said = f": {review['text']}" if review["text"] else ""
        lines.append(Text.assemble(_when(review["at"]), f" {review['actor']} ", (review["kind"], "bold"), said))
    return Group(*lines)
