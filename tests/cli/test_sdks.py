"""`vexil sdks`: the connected SDKs, as a table and as JSON."""

from __future__ import annotations

from collections.abc import Callable

from .harness import ServerProcess, Vexil

NewName = Callable[[str], str]


def register(server: ServerProcess, app: str, environment: str | None = None) -> None:
    body: dict[str, str | int] = {"appName": app, "instanceId": f"{app}-1", "sdkVersion": "unleash-node-sdk:6.12.2"}
    body |= {"started": "2026-12-04T20:10:00Z", "interval": 60000}
    if environment:
        body["environment"] = environment
    with server.http() as http:
        assert http.post("/api/client/register", json=body).status_code == 202


def test_sdks__json__lists_the_registered_instance(
    vexil: Vexil, vexil_server: ServerProcess, new_name: NewName
) -> None:
    # Given an SDK that registered
    app = new_name("shop")
    register(vexil_server, app, "production")
    # When
    listed = [sdk for sdk in vexil.json("sdks") if sdk["app"] == app]
    # Then
    assert [(s["instance"], s["environment"], s["kind"], s["sdk"], s["sdk_version"]) for s in listed] == [
        (f"{app}-1", "production", "server", "unleash-node-sdk", "6.12.2")
    ]
    assert "usage" not in listed[0]
    assert [sdk["usage"] for sdk in vexil.json("sdks", "--usage") if sdk["app"] == app] == [{}]


def test_sdks__table__one_row_per_instance(vexil: Vexil, vexil_server: ServerProcess, new_name: NewName) -> None:
    # Given an SDK that registered
    app = new_name("web")
    register(vexil_server, app)
    # When it is listed on a terminal wide enough for the table
    result = vexil.run("sdks", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    output = result.stdout
    # Then its row shows the app, the instance, the SDK and its version
    [row] = [line for line in output.splitlines() if app in line]
    for shown in ("unleash-node-sdk 6.12.2", "server"):
        assert shown in row
    assert "Last seen" in output
