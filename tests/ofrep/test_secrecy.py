"""No OFREP answer tells a client how a flag targets: the raw bytes of every answer, for every flag
and context of the fleet and every role, hold no condition value, allowlisted identifier, percentage
or key of the targeting model (rules, conditions, the deciding rule's index...)."""

from __future__ import annotations

import httpx
import pytest

from tests.ofrep.conftest import Ofrep
from tests.ofrep.fleet import FLAGS, SECRET_VIP, SECRETS, TARGETING_KEYS, UNKNOWN_FLAG, contexts

pytestmark = pytest.mark.slow


def leaks(raw: bytes) -> list[str]:
    text = raw.decode()
    return [secret for secret in (*SECRETS, *TARGETING_KEYS) if secret in text]


@pytest.mark.parametrize("role", ["client", "server", "admin"])
def test_secrecy__every_answer_raw_bytes__no_targeting(ofrep: Ofrep, role: str) -> None:
    # Given the fleet, whose targeting holds the markers, and a token of each role
    headers = {"Authorization": f"Bearer {ofrep.tokens[role]}"}
    names = [flag["name"] for flag in FLAGS] + [UNKNOWN_FLAG]
    seen: dict[str, list[str]] = {}
    answers = 0
    with httpx.Client(base_url=ofrep.url, headers=headers, timeout=10) as http:
        for context in contexts(120):
            # When every flag is asked one by one and in bulk, the allowlisted user among the contexts
            responses = [http.post(f"/ofrep/v1/evaluate/flags/{name}", json={"context": context}) for name in names]
            responses.append(http.post("/ofrep/v1/evaluate/flags", json={"context": context}))
            for response in responses:
                answers += 1
                raw = response.content + str(response.headers).encode()
                if found := leaks(raw):
                    seen[response.text] = found
    # Then no answer holds any of them
    assert answers == 120 * (len(names) + 1)
    assert any(context.get("targetingKey") == SECRET_VIP for context in contexts(120))
    assert not seen, seen
