"""`loads_in_pieces`: the JSON of a large body, read a piece at a time, equal to `json.loads`."""

from __future__ import annotations

import json
import threading
import time

import pytest

from vexil.api.pieces import loads_in_pieces

DOCUMENTS = [
    "{}",
    "[]",
    " { } ",
    '{"a": []}',
    '{"a": [ ]}',
    '{"a":[1,2, 3]}',
    '{"a": {"b": [1]}, "c": [ {"x": 1} , {"y": [2, [3]]} ] }',
    '[1, {"a": 2}]',
    '"text"',
    "-3.5e2",
    "null",
    '{"a": 1, "a": [2]}',
    '\n{"flags":[\n{"name":"f"}\n]\n}\n',
    '{"ü": ["é", "\\u00e9"]}',
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_loads_in_pieces__json__same_value_as_json_loads(document: str) -> None:
    assert loads_in_pieces(document.encode()) == json.loads(document)


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"{",
        b'{"a"}',
        b'{"a":}',
        b'{"a":1,}',
        b'{"a":[1,]}',
        b'{"a":[1 2]}',
        b'{"a":[1]',
        b'{"a":1} x',
        b"{1: 2}",
        b"[1,]",
        b'{"a":1 "b":2}',
        b'{"a":[}',
        b'{"a": NaN}',
        b'{"a": [Infinity]}',
        b"\xff",
    ],
)
def test_loads_in_pieces__not_json__value_error(document: bytes) -> None:
    with pytest.raises(ValueError):
        loads_in_pieces(document)


def test_loads_in_pieces__large_array__other_threads_run_meanwhile() -> None:
    # Given a document of 100,000 objects in an array, and a thread that counts while it may
    document = json.dumps({"flags": [{"name": f"f{i}", "rules": [{"x": [i] * 5}]} for i in range(100_000)]}).encode()
    ticks: list[float] = []
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    # When it is parsed in pieces
    try:
        started = time.monotonic()
        parsed = loads_in_pieces(document)
        ended = time.monotonic()
    finally:
        done.set()
        ticker.join()
    # Then the value is right, and the other thread kept running during the parse
    assert len(parsed["flags"]) == 100_000
    during = [t for t in ticks if started <= t <= ended]
    assert len(during) >= 5, f"{len(during)} ticks in {ended - started:.3f} s"
