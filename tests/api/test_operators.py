"""`GET /operators`: the engine's operators, served once for the API's schema and the admin UI."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

import vexil
from vexil.api.schemas import Condition
from vexil.engine import OPERATOR_SPECS, Operator

API = Path(vexil.__file__).parent / "api"


async def test_operators__no_token__the_engine_operators_in_order(client: httpx.AsyncClient) -> None:
    # Given / When the operators are asked for, without a token
    response = await client.get("/operators")
    # Then they are the engine's, each with what it does, takes and reads
    assert response.status_code == 200
    served = response.json()["operators"]
    assert [operator["name"] for operator in served] == [operator.value for operator in Operator]
    for operator in served:
        spec = OPERATOR_SPECS[Operator(operator["name"])]
        assert operator == {
            "name": operator["name"],
            "description": spec.description,
            "value": spec.takes.value,
            "reads": None if spec.reads is None else spec.reads.value,
            "or_list": spec.or_list,
        }
    by_name = {operator["name"]: operator for operator in served}
    assert by_name["gt"]["value"] == "single" and by_name["gt"]["reads"] == "number"
    assert by_name["in"]["value"] == "list"
    assert by_name["exists"]["value"] == "none" and by_name["exists"]["reads"] is None
    assert by_name["in_segment"]["value"] == "segment"
    assert by_name["in_cidr"]["or_list"] is True


async def test_openapi__operators_documented_and_condition_operator_is_the_engine_enum(
    client: httpx.AsyncClient,
) -> None:
    # Given the OpenAPI document
    schema = (await client.get("/openapi.json")).json()
    # When the operators endpoint and the condition's operator are looked up
    documented = schema["paths"]["/operators"]["get"]
    operator = schema["components"]["schemas"]["Operator"]
    # Then the endpoint is documented with its answer, and the condition takes exactly the engine's operators
    assert documented["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/OperatorList")
    assert operator["enum"] == [op.value for op in Operator]


def test_schemas__condition_operator__the_engine_type_not_a_copy() -> None:
    # Given the API's input schema and the source of its models
    annotation = Condition.model_fields["operator"].annotation
    names = {op.value for op in Operator}
    spelled = {
        (path.name, word)
        for path in sorted((API / "schemas").glob("*.py"))
        for word in re.findall(r"""["']([a-z_]+)["']""", path.read_text())
        if word in names
    }
    # When / Then the condition's operator is the engine's enum, and the models spell out no operator
    assert annotation is Operator
    assert spelled == set()
