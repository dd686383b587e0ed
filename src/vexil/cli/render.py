"""Rich renderables for people. Every value from the server goes in as `Text`, never as markup,
so a description such as "[red]" prints as typed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rich.console import Group, JustifyMethod, OverflowMethod, RenderableType
from rich.table import Table
from rich.text import Text

Doc = Mapping[str, Any]
Row = Sequence[RenderableType]

# Every cell wraps at whole words, and a word wider than its column ends in "…": a table fits the
# terminal without breaking a word in half ("productio" / "n"). `--json` has the full values.
WRAP: Final = "ellipsis"


@dataclass(frozen=True, slots=True)
class Column:
    """A column of `table` other than the usual one (a plain header: left-aligned, cells wrapped at
    words), e.g. a name that is never folded or a number aligned right."""

    header: str
    justify: JustifyMethod = "left"
    no_wrap: bool = False
    overflow: OverflowMethod = WRAP


NAME: Final = Column("Name", no_wrap=True)  # names are what people copy: the other columns give way first


def table(
    rows: Iterable[Row],
    columns: Sequence[str | Column],
    *,
    empty: str | None = None,
    title: str | None = None,
    title_justify: JustifyMethod = "left",
) -> Table | Text:
    """`rows` under `columns`, or `empty` (dimmed) when there is no row; without `empty`, the headers
    alone. A `str` cell is shown as typed, never read as markup.

        table([(Text("checkout"), on_off(True))], [NAME, "Enabled"], empty="No flags.")
    """
    rows = list(rows)
    if not rows and empty is not None:
        return Text(empty, style="dim")
    drawn = Table(title=title, title_justify=title_justify)
    for column in columns:
        spec = Column(column) if isinstance(column, str) else column
        drawn.add_column(spec.header, justify=spec.justify, no_wrap=spec.no_wrap, overflow=spec.overflow)
    for row in rows:
        drawn.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in row))
    return drawn


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
    rows = [
        (
            Text(doc["name"], style="bold"),
            on_off(doc["enabled"]),
            Text(percent(doc["rollout_percentage"])),
            Text(", ".join(v["name"] for v in doc["variants"])),
            Text(", ".join(doc["apps"])) if doc["apps"] else Text("all", style="dim"),
            _overrides(doc["environments"]),
            Text(doc["description"]),
        )
        for doc in flags
    ]
    return table(rows, [NAME, "Enabled", "Rollout", "Variants", "Apps", "Overrides", "Description"], empty="No flags.")


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


def _environments_table(environments: Doc) -> RenderableType:
    rows = [
        (
            Text(env, style="bold"),
            on_off(override["enabled"]) if "enabled" in override else Text("inherits", style="dim"),
            Text(percent(override["rollout_percentage"]))
            if "rollout_percentage" in override
            else Text("inherits", style="dim"),
            rules_text(override["rules"]) if "rules" in override else Text("inherits", style="dim"),
            allowlist_text(override["allowlist"]) if "allowlist" in override else Text("inherits", style="dim"),
        )
        for env, override in sorted(environments.items())
    ]
    return table(
        rows,
        [Column("Environment", no_wrap=True), "Enabled", "Rollout", "Rules", "Allowlist"],
        title="Environment overrides",
    )


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
    rows = [
        (
            Text(str(event["id"])),
            _when(event["at"]),
            Text(event["actor"]),
            Text(event["action"] if event.get("reverts") is None else f"revert of {event['reverts']}"),
            Text(event["entity"]),
            Text(event["entity_id"]),
        )
        for event in events
    ]
    return table(rows, ["ID", "At", "Actor", "Action", "Entity", NAME], empty="No audit events.")


def _token_row(token: Doc) -> Row:
    status = Text("revoked", style="red") if token["revoked"] else Text("active", style="green")
    environment = token.get("environment")
    return (
        Text(token["name"], style="bold"),
        Text(token["role"]),
        Text(environment) if environment else Text("any", style="dim"),
        Text(token["prefix"]),
        _when(token["created_at"]),
        status,
    )


def tokens_table(tokens: Iterable[Doc]) -> RenderableType:
    return table(
        map(_token_row, tokens), [NAME, "Role", "Environment", "Prefix", "Created", "Status"], empty="No tokens."
    )


def _person_row(person: Doc) -> Row:
    status = Text("disabled", style="red") if person["disabled"] else Text("active", style="green")
    return (
        Text(person["email"], style="bold"),
        Text(person["name"]),
        Text(person["role"]),
        _when(person["created_at"]),
        status,
    )


def people_table(people: Iterable[Doc]) -> RenderableType:
    return table(
        map(_person_row, people),
        [Column("Email", no_wrap=True), "Name", "Role", "Created", "Status"],
        empty="No people yet: vexil user create EMAIL --name NAME --admin",
    )


def _sdk_row(sdk: Doc) -> Row:
    name = " ".join(part for part in (sdk["sdk"], sdk["sdk_version"]) if part)
    return (
        Text(sdk["app"], style="bold"),
        Text(sdk["environment"]) if sdk["environment"] else Text("-", style="dim"),
        Text(sdk["instance"]),
        Text(sdk["kind"]),
        Text(name) if name else Text("-", style="dim"),
        Text(str(sdk["flags"])),
        _when(sdk["last_seen"]),
    )


def sdks_table(sdks: Iterable[Doc]) -> RenderableType:
    """Connected SDKs: one row per app, environment and instance."""
    return table(
        map(_sdk_row, sdks),
        [Column("App", no_wrap=True), "Environment", "Instance", "Kind", "SDK", "Flags", "Last seen"],
        empty="No SDK has registered or posted metrics in the last 7 days.",
    )


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
    rows = [
        (
            Text(str(index)),
            Text("\nand ".join(condition_text(c) for c in rule.get("conditions", [])) or "everyone"),
            Text(percent(rule.get("rollout_percentage", 100))),
            Text(rule["serve"]) if rule.get("serve") else Text("the split", style="dim"),
        )
        for index, rule in enumerate(rules)
    ]
    drawn = table(
        rows,
        [
            Column("#", justify="right", no_wrap=True),
            "Conditions",
            Column("Rollout", justify="right", no_wrap=True),
            "Serve",
        ],
        title=f"Rules of {where}",
    )
    return Group(note, drawn) if note else drawn


def segments_table(segments: Iterable[Doc]) -> RenderableType:
    rows = [
        (
            Text(segment["name"], style="bold"),
            Text("\nand ".join(condition_text(c) for c in segment["conditions"]) or "everyone"),
            _text(segment["description"] or None),
        )
        for segment in segments
    ]
    return table(rows, [NAME, "Conditions", "Description"], empty="No segments.")


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
    rows = [
        (
            Text(str(place)),
            Text(environment["name"], style="bold"),
            _protection(environment),
            _when(environment.get("created_at")),
        )
        for place, environment in enumerate(environments, start=1)
    ]
    return table(rows, [Column("#", justify="right"), "Name", "Protected", "Created"], empty="No environments.")


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
    rows = [
        (
            Text(str(request["id"])),
            Text(request["title"], style="bold"),
            _state(request),
            Text(request["requester"]),
            Text(", ".join(request["environments"]) or "-"),
            Text(f"{len(request['approvals'])}/{request['required_approvals']}"),
            _when(request["created_at"]),
        )
        for request in requests
    ]
    return table(
        rows,
        [Column("ID", justify="right"), "Title", "State", "Requester", "Environments", "Approvals", "Created"],
        empty="No change requests.",
    )


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
    diff: list[Row] = []
    for flag in request.get("diff") or []:
        if flag["current_version"] != flag["made_against"]:
            lines.append(
                Text(f"{flag['flag']} changed since (version {flag['current_version']}): rebase it", style="red")
            )
        for change in flag["changes"]:
            diff.append((Text(flag["flag"]), Text(change["path"]), _text(change["before"]), _text(change["after"])))
    lines.append(
        table(diff, ["Flag", "Setting", "Now", "After"], title="Against the flags as they are", title_justify="center")
    )
    for review in request["reviews"]:
        said = f": {review['text']}" if review["text"] else ""
        lines.append(Text.assemble(_when(review["at"]), f" {review['actor']} ", (review["kind"], "bold"), said))
    return Group(*lines)
