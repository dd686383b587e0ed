"""How seed 002's names map to Vexil's (docs/compatibility.md is the user's page).

Seed 001 speaks Vexil's own names (`name`, `enabled`, `description`), so its routes need nothing
from here. Seed 002 names things its own way:

- Reasons (`POST /api/evaluate`): `SEED_REASONS`, upper case; Vexil's own surfaces keep theirs.
"""

from __future__ import annotations

from vexil.engine import Reason

SEED_REASONS: dict[Reason, str] = {
    Reason.RULE_MATCH: "RULE_MATCH",
    Reason.ROLLOUT_EXCLUDED: "NO_MATCH",
    # Not RULE_MATCH: no rule matched (the PUT answer's rules would not explain it); an allowlist
    # entry is made through Vexil's own API, and its user is let in by name.
    Reason.ALLOWLIST: "ALLOWLIST",
    Reason.ROLLOUT_INCLUDED: "ROLLOUT",
    Reason.ENABLED: "DEFAULT",
    Reason.DISABLED: "DISABLED",
    Reason.APP_NOT_SCOPED: "APP_NOT_SCOPED",
    Reason.PREREQUISITE_FAILED: "PREREQUISITE_FAILED",
    Reason.FLAG_NOT_FOUND: "FLAG_NOT_FOUND",
}
