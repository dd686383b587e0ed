"""The one rule for names of flags, variants, segments, environments, apps, tags and tokens."""

from __future__ import annotations

import re

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,99}$"
# What a person is told when a name breaks the rule (API, CLI and UI alike).
NAME_RULE = "use lowercase letters, digits, '_', '.' or '-', starting with a letter or digit (at most 100 characters)"

_NAME = re.compile(NAME_PATTERN)


def is_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None
