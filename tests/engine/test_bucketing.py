"""Bucketing: docs/spec.md §2's normative hash, its properties and Unleash compatibility."""

from __future__ import annotations

import mmh3
from hypothesis import given, settings
from hypothesis import strategies as st

from vexil.engine import VARIANT_SEED, bucket, variant_hash

identifiers = st.text(min_size=1, max_size=40)
salts = st.text(min_size=1, max_size=40)
# Any code point, lone surrogates included (which mmh3 itself cannot take: see bucketing.hash_key).
any_text = st.text(alphabet=st.characters(exclude_categories=()), min_size=1, max_size=40) | identifiers
percentages = st.integers(min_value=0, max_value=100)


def unleash_included(salt: str, identifier: str, percentage: int) -> bool:
    """Unleash's gradual rollout test, as UnleashClient.utils.normalized_hash computes it."""
    return mmh3.hash(f"{salt}:{identifier}", 0, signed=False) % 100 + 1 <= percentage


def test_murmur3__product_test_vectors__match() -> None:
    # Given the two vectors of docs/spec.md §2
    # When hashed as specified
    first = mmh3.hash("gr1:123", 0, signed=False) % 100 + 1
    second = mmh3.hash("groupX:999", 0, signed=False) % 100 + 1
    # Then they are 73 and 25, and the buckets fall in those percentiles
    assert (first, second) == (73, 25)
    assert bucket("gr1", "123") // 100 == 72
    assert bucket("groupX", "999") // 100 == 24


def test_bucket__known_identifier__is_stable_across_releases() -> None:
    # Given fixed inputs (replayed by every SDK in tests/cases/bucketing.json)
    # When bucketed
    # Then the numbers never change
    assert bucket("gr1", "123") == 7211
    assert variant_hash("flag", "user-1") == mmh3.hash("flag:user-1", VARIANT_SEED, signed=False)


@given(salt=any_text, identifier=any_text)
def test_bucket__any_input__is_deterministic_and_in_range(salt: str, identifier: str) -> None:
    # Given any salt and identifier, lone surrogates included
    # When bucketed twice
    first, second = bucket(salt, identifier), bucket(salt, identifier)
    # Then the answer is the same and within 0..9999
    assert first == second
    assert 0 <= first <= 9999


@given(salt=salts, identifier=identifiers, low=percentages, high=percentages)
def test_bucket__raising_percentage__only_adds_users(salt: str, identifier: str, low: int, high: int) -> None:
    # Given two percentages low <= high
    low, high = min(low, high), max(low, high)
    # When a user is included at the lower one
    included_low = bucket(salt, identifier) < low * 100
    # Then they are included at the higher one
    assert not included_low or bucket(salt, identifier) < high * 100


@settings(max_examples=300)
@given(salt=st.text(max_size=30), identifier=st.text(min_size=1, max_size=30), percentage=percentages)
def test_bucket__whole_percentages__include_exactly_unleash_users(salt: str, identifier: str, percentage: int) -> None:
    # Given a whole percentage
    # When Vexil and Unleash decide inclusion
    ours = bucket(salt, identifier) < percentage * 100
    # Then they agree (ASCII and non-ASCII identifiers alike)
    assert ours == unleash_included(salt, identifier, percentage)


def test_bucket__lone_surrogate__hashes_like_replacement_character() -> None:
    # Given an identifier that UTF-8 cannot encode (mmh3 itself would crash on it)
    # When bucketed
    result = bucket("s", "a\udcffb")
    # Then it is bucketed as a browser's TextEncoder would encode it: U+FFFD in its place
    assert result == bucket("s", "a\ufffdb")


def test_bucket__fifty_percent_of_100000__within_one_percent() -> None:
    # Given 100,000 identifiers
    # When rolled out at 50 %
    included = sum(bucket("checkout", f"user-{n}") < 5000 for n in range(100_000))
    # Then 50 % ± 1 % are in
    assert 49_000 <= included <= 51_000


def test_bucket__two_salts__split_independently() -> None:
    # Given two flags with different salts at 50 %
    ids = [f"user-{n}" for n in range(100_000)]
    # When both include users
    both = sum(bucket("flag-a", i) < 5000 and bucket("flag-b", i) < 5000 for i in ids)
    # Then about a quarter are in both, as for independent draws
    assert 24_000 <= both <= 26_000


@given(salt=any_text, identifier=any_text)
def test_variant_hash__any_input__is_unsigned_32_bit(salt: str, identifier: str) -> None:
    # Given any input
    # When hashed for the split
    value = variant_hash(salt, identifier)
    # Then it is an unsigned 32-bit number, and not the bucket hash (a different seed)
    assert 0 <= value < 2**32
    assert value == variant_hash(salt, identifier)


def test_variant_hash__differs_from_bucket_hash__so_variants_do_not_follow_buckets() -> None:
    # Given many users
    ids = [f"user-{n}" for n in range(10_000)]
    # When their bucket half and their variant half are compared
    same = sum((bucket("f", i) < 5000) == (variant_hash("f", i) % 2 == 0) for i in ids)
    # Then they are unrelated: about half agree
    assert 4_700 <= same <= 5_300
