"""schemathesis against the OpenAPI the server serves: no server error, every response as documented."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from workflow.participants.records import Role

from .api_server import ApiServer, register, start_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = start_server(tmp_path_factory.mktemp("schema"), datetime.fromisoformat("2022-01-20T18:00:00+00:00"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(served: ApiServer) -> dict[str, str]:
    admin = served.services.participants.issue_token(Role.admin, served.clock.now()).token
    who = register(served.url, admin, name="Ana", gestor_name="G", clave="GOMEJU85031210H300")
    return {"admin": admin, "aspirante": who.aspirante, "gestor": who.gestor}


# The same examples on every run keep CI stable; CONVOCA_FUZZ=1 draws new ones (and 10× as many) to explore.
FUZZ = bool(os.environ.get("CONVOCA_FUZZ"))
DERANDOMIZE = not FUZZ

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def check_operation(operation, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=500 if FUZZ else 50,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=DERANDOMIZE,
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    conforms()


@pytest.mark.slow
def test_api_conforms_to_its_schema(served: ApiServer, tokens: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        path = operation.path
        role = "gestor" if path.endswith("/captures") else "aspirante" if "/aspirantes/{" in path else "admin"
        check_operation(operation, served.url, {"Authorization": f"Bearer {tokens[role]}"})
