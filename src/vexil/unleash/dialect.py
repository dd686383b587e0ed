"""What an Unleash client can evaluate: the levels of the Unleash client specification that brought
what the feed may use (`Dialect`), and `NotExpressibleError` for what a client (or every client)
cannot evaluate as Vexil does. docs/unleash.md."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CURRENT",
    "DEPENDENCIES_SPEC",
    "OPERATORS_SPEC",
    "SEGMENTS_SPEC",
    "STRATEGY_VARIANTS_SPEC",
    "Dialect",
    "NotExpressibleError",
]

# The Unleash client specification versions that brought what the feed may use.
OPERATORS_SPEC = (4, 1, 0)  # STR_*, NUM_*, SEMVER_*, DATE_*, `inverted`, `caseInsensitive`
SEGMENTS_SPEC = (4, 2, 0)  # global `segments`, referred to by id from strategies
STRATEGY_VARIANTS_SPEC = (4, 3, 0)  # `variants` on a strategy
DEPENDENCIES_SPEC = (4, 5, 0)  # `dependencies` on a feature
_LEVELS = ((0, 0, 0), OPERATORS_SPEC, SEGMENTS_SPEC, STRATEGY_VARIANTS_SPEC, DEPENDENCIES_SPEC)


def _version(text: str | None) -> tuple[int, int, int]:
    """`major.minor.patch` of a version header ("4.5", "5.2.0-beta.1"); (0, 0, 0) when unreadable."""
    numbers = [0, 0, 0]
    for index, part in enumerate((text or "").strip().split(".")[:3]):
        digits = part.split("-", 1)[0].split("+", 1)[0]
        if not digits.isdigit() or len(digits) > 9:
            return (0, 0, 0)
        numbers[index] = int(digits)
    return numbers[0], numbers[1], numbers[2]


def _show_version(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True, slots=True)
class Dialect:
    """What a client of the Unleash client specification `spec` can evaluate.

    `spec` is the highest level in `_LEVELS` that the client's `Unleash-Client-Spec` header reaches,
    so that every client of one level shares one cached feed. A client that sends no header is
    taken to be of the oldest level, as Unleash's own server does for segments."""

    spec: tuple[int, int, int]

    @classmethod
    def of(cls, header: str | None) -> Dialect:
        version = _version(header)
        return cls(max(level for level in _LEVELS if level <= version))

    @property
    def operators(self) -> bool:
        return self.spec >= OPERATORS_SPEC

    @property
    def segments(self) -> bool:
        return self.spec >= SEGMENTS_SPEC

    @property
    def strategy_variants(self) -> bool:
        return self.spec >= STRATEGY_VARIANTS_SPEC

    @property
    def dependencies(self) -> bool:
        return self.spec >= DEPENDENCIES_SPEC

    def lacks(self, needed: tuple[int, int, int], what: str) -> NotExpressibleError:
        return NotExpressibleError(
            f"{what}, which needs Unleash client specification {_show_version(needed)} "
            "(this client announces an older one in Unleash-Client-Spec, or none)"
        )


CURRENT = Dialect(DEPENDENCIES_SPEC)


class NotExpressibleError(Exception):
    """A flag (or part of one) that no Unleash SDK would evaluate as Vexil does; the message says why,
    as a phrase that follows what it is about ("rule 2" + " uses `matches`, which ...")."""

    @property
    def reason(self) -> str:
        return str(self.args[0])
