"""The scanner's matching rules (`vexil.cli.refscan`), line by line: which quotes count in which
language, whole names only, and extra patterns with `{name}`."""

from __future__ import annotations

import pytest

from vexil.cli.refscan import Matcher, PatternError, quotes_of, repository_name

NAMES = ("checkout", "checkout-v2", "dark.mode")


@pytest.mark.parametrize(
    ("path", "line", "found"),
    [
        ("a.py", 'if on("checkout"):', {"checkout"}),
        ("a.py", "if on('checkout-v2'):", {"checkout-v2"}),
        ("a.py", "if on(`checkout`):", set()),  # Python has no backtick strings
        ("a.ts", "on(`checkout`)", {"checkout"}),
        ("a.go", "on(`checkout`)", {"checkout"}),
        ("A.java", "on('checkout')", set()),  # a char literal in Java, never a name
        ("A.java", 'on("checkout"); on("checkout-v2")', {"checkout", "checkout-v2"}),
        ("a.py", "on(\"checkout')", set()),  # the quotes must pair
        ("a.py", '"checkout-v3"', set()),
        ("a.py", '"darkXmode"', set()),  # a dot in a name is a dot, not any character
        ("a.py", "# checkout is discussed here", set()),
    ],
)
def test_matcher__default_quotes__whole_quoted_names_only(path: str, line: str, found: set[str]) -> None:
    # Given every name, matched with the quotes of the file's language
    matcher = Matcher(NAMES)
    # When a line is read / Then only whole quoted names are found
    assert matcher.flags_in(line, quotes_of(path)) == found


def test_matcher__extra_pattern__name_slot_and_repeat() -> None:
    # Given a pattern that names the flag twice
    matcher = Matcher(NAMES, [r"FLAG\({name}, {name}\)"])
    # When lines are read / Then it matches only when both are the same name
    assert matcher.flags_in("FLAG(checkout, checkout)", '"') == {"checkout"}
    assert matcher.flags_in("FLAG(checkout, checkout-v2)", '"') == set()


@pytest.mark.parametrize(("pattern", "says"), [("FLAG(", "{name}"), ("FLAG({name}", "not a regular expression")])
def test_matcher__bad_pattern__pattern_error(pattern: str, says: str) -> None:
    # Given a pattern without a name slot, or not a regular expression / When compiled / Then it is refused
    with pytest.raises(PatternError, match=r"the pattern") as raised:
        Matcher(NAMES, [pattern])
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("remote", "name"),
    [
        ("git@github.com:acme/shop.git", "acme/shop"),
        ("https://gitlab.example.com/group/sub/shop", "sub/shop"),
        ("ssh://git@host:2222/acme/shop.git/", "acme/shop"),
        ("", ""),
    ],
)
def test_repository_name__remote_urls__owner_and_name(remote: str, name: str) -> None:
    # Given an origin URL / When named / Then its last two path parts are the repository (none without a remote)
    assert repository_name(remote) == name
