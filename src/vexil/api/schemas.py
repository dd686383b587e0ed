"""Pydantic models of the HTTP API: request validation and the OpenAPI documentation.

Input models forbid unknown fields and use strict types, so `"enabled": "yes"` is a 400, not a
guess. What they refuse is told in plain words by `api/errors.describe_validation_error`; a type
whose rule is more than its JSON type (a name, a percentage) carries its own message (api/inputs.py).
Operators are the engine's (`engine.Operator`), and so are the rules for a condition's value
(checked by the core). Output models document what the routes return (flag documents are shaped
as docs/model.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from vexil.api.inputs import Input, Name, Percentage
from vexil.core.lifecycle import Kind
from vexil.engine import Operator, Reads, Takes
from vexil.store import MAX_APPROVALS

Identifier = Annotated[str, Field(min_length=1, max_length=1000)]


class Condition(Input):
    """A condition; what its value may be is the engine's rule for its operator (`GET /operators`)."""

    model_config = ConfigDict(use_enum_values=True)

    field: str | None = Field(default=None, min_length=1, max_length=200)
    operator: Operator = Field(strict=False)
    value: Any = None
    negate: StrictBool = False
    case_insensitive: StrictBool = False

    @field_validator("value")
    @classmethod
    def _value_size(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > 10_000:
            raise ValueError("use a list of at most 10000 values")
        return value


class Rule(Input):
    conditions: list[Condition] = Field(default_factory=list, max_length=100)
    rollout_percentage: Percentage = 100
    serve: Name | None = None


class Variant(Input):
    name: Name
    payload: Any = None
    weight: StrictInt = Field(default=1, ge=0, le=1_000_000)


class Prerequisite(Input):
    flag: Name
    active: StrictBool = True
    variants: list[Name] | None = None


Allowlist = dict[Identifier, Name]


class Override(Input):
    """Per-environment override: a field present replaces the flag's own in that environment."""

    enabled: StrictBool | None = None
    rollout_percentage: Percentage | None = None
    rules: list[Rule] | None = Field(default=None, max_length=200)
    allowlist: Allowlist | None = None


class OverrideInput(Override):
    environment: Name


class FlagFields(Input):
    """The settable fields of a flag, shared by create and update."""

    description: str = Field(default="", max_length=10_000)
    tags: list[Name] = Field(default_factory=list, max_length=100)
    enabled: StrictBool = False
    rollout_percentage: Percentage = 100
    variants: list[Variant] = Field(default_factory=list, max_length=100)
    default_variant: Name | None = None
    prerequisites: list[Prerequisite] = Field(default_factory=list, max_length=50)
    allowlist: Allowlist = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list, max_length=200)
    apps: list[Name] = Field(default_factory=list, max_length=200)
    environments: dict[Name, Override] = Field(default_factory=dict)
    salt: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind = Field(
        default="release", description="What the flag is for; sets its expected lifetime (docs/lifecycle.md)."
    )
    owner: str = Field(default="", max_length=200, description="Who answers for the flag.")
    stale: StrictBool = Field(default=False, description="A person marks the flag stale (or not).")


class FlagCreate(FlagFields):
    name: Name = Field(validation_alias=AliasChoices("name", "key"))


class FlagImported(FlagCreate):
    """A flag document in an import: archived or not is kept (only archive/restore change it)."""

    archived: StrictBool = False


class FlagUpdate(FlagFields):
    """PATCH body: only the fields given change. `version` makes the update conditional."""

    version: StrictInt | None = Field(default=None, ge=1, description="Expected current version (409 if it moved).")


class FlagImpactInput(FlagUpdate):
    """A proposed change of one flag: the fields of `PATCH /flags/{name}` (a whole flag document
    works too: the fields Vexil sets are ignored), and `overrides`, merged into each environment's
    override as `POST /flags/{name}/environments` merges them (`null`: the override removed)."""

    overrides: dict[Name, Override | None] = Field(
        default_factory=dict, description="Environment -> override fields (a null field inherits); null removes it."
    )
    name: Name | None = Field(default=None, description="Ignored (a flag document may be sent as it is read).")
    created_at: str | None = Field(default=None, description="Ignored.")
    updated_at: str | None = Field(default=None, description="Ignored.")
    archived: StrictBool | None = Field(default=None, description="Ignored.")


class AppInput(Input):
    app_name: Name


class EnvironmentInput(Input):
    name: Name


class EnvironmentPatch(Input):
    """Only the fields given change."""

    name: Name | None = Field(
        default=None, description="Rename it: its overrides, place, protection and bound tokens move along."
    )
    order: StrictInt | None = Field(
        default=None, ge=0, le=10_000, description="The place to move it to, 0 first (past the end: last)."
    )
    protected: StrictBool | None = Field(
        default=None,
        description="Protect it: a write that changes what it evaluates needs an approved change request, "
        "unless made by an admin (docs/change-requests.md).",
    )
    required_approvals: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_APPROVALS,
        description="How many people (other than its author) must approve its change requests.",
    )


class SegmentCreate(Input):
    name: Name
    description: str = Field(default="", max_length=10_000)
    conditions: list[Condition] = Field(default_factory=list, max_length=100)


class SegmentUpdate(Input):
    description: str | None = Field(default=None, max_length=10_000)
    conditions: list[Condition] | None = Field(default=None, max_length=100)
    version: StrictInt | None = Field(default=None, ge=1)


TokenRole = Literal["client", "server", "viewer", "editor", "admin"]
PersonRole = Literal["viewer", "editor", "admin"]


class TokenCreate(Input):
    name: Name
    role: TokenRole
    environment: Name | None = Field(
        default=None,
        description="Bind the token to this environment: every evaluation made with it happens there, and "
        "naming another environment is refused (403). Left out: unbound.",
    )


class EvaluationContext(BaseModel):
    """Who is asking: reserved keys plus any attributes (flat keys or under `attributes`)."""

    model_config = ConfigDict(extra="allow")

    identifier: str | None = None
    app: str | None = None
    environment: str | None = None
    attributes: dict[str, Any] | None = None


class BulkEvaluationInput(EvaluationContext):
    flags: list[str] | None = Field(default=None, description="Only these flags (default: every flag).")


class CompatName(Input):
    name: Name


class CompatSet(Input):
    name: Name
    enabled: StrictBool


class CompatCreate(Input):
    name: Name
    description: str = Field(default="", max_length=10_000)
    enabled: StrictBool = False


class CompatCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    identifier: str | None = None
    app: str | None = None
    environment: str | None = None


class CompatUser(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    email: str | None = None
    country: str | None = None
    attributes: dict[str, Any] | None = None


class CompatEvaluateInput(BaseModel):
    environment: str | None = None
    app: str | None = None
    user: CompatUser = Field(default_factory=CompatUser)


# --- output models (documentation of the responses) -------------------------------------------


class VariantOut(BaseModel):
    name: str
    payload: Any = None
    weight: int


class FlagOut(BaseModel):
    name: str
    description: str
    tags: list[str]
    enabled: bool
    rollout_percentage: int | float
    variants: list[VariantOut]
    default_variant: str
    prerequisites: list[dict[str, Any]]
    allowlist: dict[str, str]
    rules: list[dict[str, Any]]
    apps: list[str]
    environments: dict[str, dict[str, Any]]
    salt: str
    kind: str
    owner: str
    stale: bool
    archived: bool
    created_at: str
    updated_at: str
    version: int


class FlagList(BaseModel):
    flags: list[FlagOut]


class StaleSignal(BaseModel):
    signal: Literal["past_lifetime", "one_variant", "marked_stale", "not_evaluated"]
    evidence: dict[str, Any]


class StaleOut(BaseModel):
    flag: str
    kind: str
    owner: str
    stale: bool = Field(description="True when at least one signal holds.")
    signals: list[StaleSignal]
    references: int | None = Field(
        default=None,
        description="In how many scanned repositories and branches the flag is named (null: nothing scanned yet).",
    )
    ready_to_remove: bool = Field(default=False, description="Stale, and named in none of the scanned code.")


class CleanupItem(StaleOut):
    last_seen: str | None = Field(description="The flag's last evaluation counted (within a year); null: never.")


class CleanupOut(BaseModel):
    ready_to_remove: list[CleanupItem] = Field(description="Stale flags that no scanned code names.")
    potentially_stale: list[CleanupItem] = Field(
        description="Stale flags still named in code, or all stale flags while no scan was uploaded."
    )


class EvaluationOut(BaseModel):
    flag: str
    active: bool
    variant: str | None
    payload: Any = None
    reason: str
    rule: int | None = Field(default=None, description="Index of the deciding rule (admin and server tokens only).")


class ClientResult(BaseModel):
    active: bool
    variant: str | None
    payload: Any = None
    reason: str


class BulkEvaluationOut(BaseModel):
    flags: dict[str, ClientResult]


class CompatFlagOut(BaseModel):
    name: str
    enabled: bool
    variant: str | None = None
    reason: str | None = None


class CompatFlagWritten(BaseModel):
    """What `/flags/create|toggle|set|delete` answer: the flag as that service shows it."""

    name: str
    enabled: bool
    description: str
    updated_at: str


class CompatResult(BaseModel):
    flagKey: str  # the compatibility surface's own spelling
    enabled: bool
    variant: str | None = None
    reason: str


class CompatEvaluateOut(BaseModel):
    results: list[CompatResult]


class SegmentOut(BaseModel):
    name: str
    description: str
    conditions: list[dict[str, Any]]
    created_at: str
    updated_at: str
    version: int


class SegmentList(BaseModel):
    segments: list[SegmentOut]


class EnvironmentOut(BaseModel):
    name: str
    created_at: str
    order: int
    protected: bool = False
    required_approvals: int = 1


class EnvironmentList(BaseModel):
    environments: list[EnvironmentOut]


class TokenOut(BaseModel):
    name: str
    role: str
    prefix: str
    environment: str | None = None
    created_at: str
    revoked: bool


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown this once.")


class TokenWhoAmI(BaseModel):
    kind: Literal["token"]
    name: str
    role: TokenRole
    environment: str | None = None


class PersonWhoAmI(BaseModel):
    kind: Literal["person"]
    id: int
    email: str
    name: str
    role: PersonRole
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` with every change made with the session cookie.")


# A token (its name, role and environment) or a signed-in person (with the session's CSRF token).
WhoAmI = Annotated[TokenWhoAmI | PersonWhoAmI, Field(discriminator="kind")]


class PersonCreate(Input):
    email: str = Field(max_length=254, description="Unique whatever its case; kept lowercased.")
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(
        default=None, min_length=10, max_length=1024, description="Left out: the person cannot sign in with one."
    )
    role: PersonRole


class PersonPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: PersonRole | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    disabled: StrictBool | None = Field(
        default=None, description="A disabled person cannot sign in; their sessions end."
    )


class PersonOut(BaseModel):
    id: int
    email: str
    name: str
    role: PersonRole
    disabled: bool
    has_password: bool
    created_at: str
    updated_at: str


class PeopleList(BaseModel):
    people: list[PersonOut]


class SignIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenList(BaseModel):
    tokens: list[TokenOut]


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description="The person's email, or the token's name (`vexil`: Vexil itself).")
    actor_kind: Literal["person", "token", "vexil"]
    action: str
    entity: str
    entity_id: str
    before: Any = None
    after: Any = None
    via: dict[str, Any] | None = Field(
        default=None,
        description="Only for a write made by applying a change request: "
        "`{change_request, requester, approvers, applied_by}`.",
    )
    reverts: int | None = Field(default=None, description="A revert's: the event whose `before` it put back.")


class RevertOut(BaseModel):
    """What a revert changed, shaped like the audit event it made (`after` null: deleted)."""

    reverts: int
    action: Literal["revert"]
    entity: Literal["flag", "segment"]
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ImpactChange(BaseModel):
    flag: str
    from_: str | None = Field(alias="from", description="The variant served now (null: no such flag).")
    to: str | None = Field(description="The variant the change would serve (null: no such flag).")
    count: int


class ImpactCounts(BaseModel):
    sampled: int
    flipped: int


class ImpactOut(BaseModel):
    """How many of the contexts recently evaluated by this server a change would flip (counts only)."""

    sampled: int = Field(description="Distinct contexts in the sample (this server's recent evaluations).")
    flipped: int = Field(description="Contexts for which at least one flag would answer differently.")
    drawn: int = Field(description="Contexts without an identifier whose answer is a random draw, not compared.")
    flags: list[str] = Field(description="The flags compared: those changed, and those that depend on them.")
    by_change: list[ImpactChange]
    by_environment: dict[str, ImpactCounts] = Field(description='Per context environment ("": none given).')


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next_before_id: int | None = Field(description="Pass as ?before_id= for the next page.")


class ExportOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int
    exported_at: str
    environments: list[dict[str, Any]]
    flags: list[FlagOut]
    segments: list[SegmentOut]


class ImportInput(Input):
    version: StrictInt = 1
    exported_at: str | None = None
    environments: list[dict[str, Any]] = Field(default_factory=list)
    flags: list[dict[str, Any]] = Field(default_factory=list)
    segments: list[dict[str, Any]] = Field(default_factory=list)


class ImportNames(BaseModel):
    flags: list[str]
    segments: list[str]
    environments: list[str]


class ImportResult(BaseModel):
    """The counts after the import, and what it created, changed and deleted (docs/spec.md, Import)."""

    flags: int
    segments: int
    environments: int
    dry_run: bool = Field(description="True: nothing was written, this is what the import would do.")
    mode: Literal["replace", "merge"]
    created: ImportNames
    changed: ImportNames
    deleted: ImportNames
    restored_from: int | None = Field(default=None, description="A restore: the import event whose state it put back.")
    state: str = Field(description="The tag of the state planned against; pass it as `if_state` to apply this plan.")


class OperatorOut(BaseModel):
    name: Operator
    description: str = Field(description="What it does, in a few words.")
    value: Takes = Field(
        description="What value it takes: `none`, `single` (one value), `list`, or `segment` (a segment's name, "
        "and no field)."
    )
    reads: Reads | None = Field(
        description="What the value (each item of a list) is read as: `scalar` (a string, number or boolean), "
        "`text`, `number`, `semver`, `instant` (ISO 8601), `cidr`, `regex` (RE2); null for `none` and `segment`."
    )
    or_list: bool = Field(description="A single value may also be given as a list of them.")


class OperatorList(BaseModel):
    operators: list[OperatorOut]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    storage: str = Field(description="`ok`, or `unavailable: <why>` (writes then fail with 503).")
    bus: str = Field(description="The change bus: `redis: ok`, `postgres: unavailable: <why>`, or `none`.")
    flags: int
    quarantined: list[str] = Field(
        default_factory=list,
        description="Stored documents left out because a value cannot be served (`flag NAME`, `segment NAME`).",
    )
    version: str


# --- change requests (docs/change-requests.md) --------------------------------------------------

Version = Annotated[
    StrictInt | None,
    Field(default=None, ge=1, description="The flag's version the change is made against (default: its current one)."),
]


class PatchChange(Input):
    """A change like `PATCH /flags/{flag}`, its body as `fields` (a `version` there is the version made against)."""

    kind: Literal["patch"]
    flag: Name
    fields: FlagUpdate


class OverrideChange(Input):
    """A change like `POST /flags/{flag}/environments`, its body as `fields`."""

    kind: Literal["override"]
    flag: Name
    fields: OverrideInput
    version: Version = None


class RemoveOverrideChange(Input):
    """A change like `DELETE /flags/{flag}/environments/{environment}`."""

    kind: Literal["remove_override"]
    flag: Name
    environment: Name
    version: Version = None


class ToggleChange(Input):
    """A change like `POST /flags/{flag}/toggle?environment=`: kept as the `enable` it means when made."""

    kind: Literal["toggle"]
    flag: Name
    environment: Name | None = None
    version: Version = None


class EnableChange(Input):
    """Turn the flag on or off, its own switch (`environment` null) or one environment's."""

    kind: Literal["enable"]
    flag: Name
    environment: Name | None = None
    enabled: StrictBool
    version: Version = None


class AppChange(Input):
    """A change like `POST /flags/{flag}/apps` (`add_app`) or `DELETE /flags/{flag}/apps/{app}`."""

    kind: Literal["add_app", "remove_app"]
    flag: Name
    app: Name
    version: Version = None


ChangeInput = Annotated[
    PatchChange | OverrideChange | RemoveOverrideChange | ToggleChange | EnableChange | AppChange,
    Field(discriminator="kind"),
]


class ChangeRequestCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    changes: list[ChangeInput] = Field(min_length=1, max_length=100)
    draft: StrictBool = Field(default=False, description="Keep it a draft: nobody reviews it until it is opened.")


class ReviewInput(Input):
    text: str = Field(default="", max_length=10_000, description="Why, in a few words (kept with the review).")


class CommentInput(Input):
    text: str = Field(min_length=1, max_length=10_000)


class ReviewOut(BaseModel):
    at: str
    actor: str
    kind: Literal["comment", "approve", "reject", "rebase", "open", "apply"]
    text: str
    round: int


class ChangeDiff(BaseModel):
    flag: str
    made_against: int = Field(description="The flag's version the changes were made against.")
    current_version: int | None = Field(description="The flag's version now (null: it no longer exists).")
    applicable: bool = Field(description="Whether the changes still apply to the flag as it is (checked as a write).")
    changes: list[dict[str, Any]] = Field(description="`[{path, before, after}]`: what they change in the flag now.")


class ChangeRequestOut(BaseModel):
    id: int
    title: str
    state: Literal["draft", "open", "approved", "rejected", "applied"]
    requester: str
    environments: list[str] = Field(description="The environments whose evaluation its changes alter.")
    required_approvals: int
    round: int = Field(description="1, plus one per rebase; only this round's approvals count.")
    changes: list[dict[str, Any]] = Field(description="Edits (docs/change-requests.md), each with its `version`.")
    reviews: list[ReviewOut]
    approvals: list[str] = Field(description="Who approved in this round.")
    created_at: str
    updated_at: str
    applied_by: str | None
    applied_at: str | None
    diff: list[ChangeDiff] | None = Field(default=None, description="Only when reading one request.")
    impact: Any = Field(default=None, description="The impact preview, when the server computes one (else null).")


class ChangeRequestList(BaseModel):
    change_requests: list[ChangeRequestOut]


# --- scheduled changes and release plans (docs/schedules.md) -------------------------------------

When = Annotated[
    AwareDatetime, Field(strict=False, description="An instant with its offset, e.g. `2026-12-08T09:00:00Z`.")
]


class ScheduleCreate(Input):
    at: When
    changes: list[ChangeInput] = Field(
        min_length=1, max_length=100, description="Edits, as a change request takes them."
    )
    title: str | None = Field(default=None, min_length=1, max_length=200)


class ScheduleOut(BaseModel):
    id: int
    title: str
    state: Literal["pending", "applied", "failed", "cancelled"]
    at: str
    changes: list[dict[str, Any]] = Field(
        description="Edits (docs/change-requests.md), applied to the flags as they are then."
    )
    created_by: str
    created_at: str
    plan: int | None = Field(description="The release plan this is a step of (null: a scheduled change).")
    step: int | None = Field(description="Its place in its plan, from 1.")
    change_request: int | None = Field(
        description="The change request that holds it (a protected environment): applied once approved and due."
    )
    done_at: str | None
    late_seconds: int | None = Field(description="How many seconds after `at` it was applied (or failed).")
    error: str | None = Field(description="Why it failed.")


class ScheduleList(BaseModel):
    schedules: list[ScheduleOut]


class PlanStepInput(Input):
    at: When | None = None
    after_hours: float | None = Field(
        default=None, gt=0, le=24 * 366, description="Hours after the step before (the first: after now)."
    )
    rollout_percentage: Percentage | None = None
    edit: ChangeInput | None = Field(default=None, description="An edit of the plan's flag instead of a rollout.")


class PlanCreate(Input):
    flag: Name
    environment: Name | None = Field(
        default=None, description="Whose override's rollout the steps set (null: the flag's own)."
    )
    steps: list[PlanStepInput] = Field(min_length=1, max_length=50)
    title: str | None = Field(default=None, min_length=1, max_length=200)


class PlanOut(BaseModel):
    id: int
    title: str
    flag: str
    environment: str | None
    state: Literal["active", "paused", "done", "cancelled"]
    created_by: str
    created_at: str
    updated_at: str
    note: str | None = Field(description="Why it paused itself (a step that could not apply).")
    steps: list[ScheduleOut]


class PlanList(BaseModel):
    release_plans: list[PlanOut]
