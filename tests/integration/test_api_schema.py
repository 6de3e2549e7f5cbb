"""schemathesis against the OpenAPI the server serves, with all its checks, on every route, as each kind of caller
(anonymous, administrator, aspirante, gestor, reviewer): no server error, every response as documented, auth
enforced."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

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
    _, reviewer = served.services.participants.create_reviewer("Revisora", served.clock.now())
    return {"admin": admin, "aspirante": who.aspirante, "gestor": who.gestor, "revisor": reviewer.token}


# The same examples on every run keep CI stable; CONVOCA_FUZZ=1 draws new ones (and 10× as many) to explore.
FUZZ = bool(os.environ.get("CONVOCA_FUZZ"))
EXAMPLES = 200 if FUZZ else 20
ROLES = ("anonymous", "admin", "aspirante", "gestor", "revisor")

# Every check runs on every operation, except these, each with its reason. "Schema-valid request rejected" expects
# any request the schema allows to be accepted; on these operations validity depends on state and on rules
# JSON Schema cannot state, so most schema-valid requests are rightly refused (422, each with its Spanish reason,
# which test_api.py and test_api_hostile.py assert case by case).
EXEMPT = {
    # The images must decode as real JPEG/PNG photos of a minimum size; captured_at must fall inside the
    # aspirante's window and at most 5 minutes ahead of the server; the OCR must start with the sección; the birth
    # date inside the clave de elector must exist.
    "POST /api/v1/captures": [positive_data_acceptance],
    # A calendar is checked against its own rules (phases in order, references between cargos, groups and
    # municipios) and against the past (an amendment cannot change what already happened): no schema of a string
    # body says that.
    "PUT /api/v1/processes/{process_id}/calendar": [positive_data_acceptance],
    # The cargo and the demarcación must exist in the process's calendar, and the constancia date must fall within
    # the process: they depend on the calendar in force, not on the schema.
    "POST /api/v1/processes/{process_id}/aspirantes": [positive_data_acceptance],
    # The birth date inside the clave de elector must exist (no 31 February), and the same person cannot be a
    # gestor twice in a process (409, allowed) — the first is beyond a pattern.
    "POST /api/v1/aspirantes/{aspirante_id}/gestores": [positive_data_acceptance],
    # A name may not hold control or invisible formatting characters (Unicode Cc and Cf), which no portable JSON
    # Schema pattern can list.
    "POST /api/v1/reviewers": [positive_data_acceptance],
    # A decision must be one the apoyo's item admits (a reason for an apoyo, fundada/infundada for an objection),
    # with the note some of them require, on an apoyo the desk holds for this reviewer: state and rules.
    "POST /api/v1/review/{apoyo_id}": [positive_data_acceptance],
    # The argument may not hold control or invisible characters (Cc and Cf, line breaks aside), and an image part
    # must decode as a real JPEG or PNG.
    "POST /api/v1/aspirantes/{aspirante_id}/rechazos/{apoyo_id}/objecion": [positive_data_acceptance],
}


def check_operation(operation, base_url: str, headers: dict[str, str]) -> None:
    """Every check schemathesis has (``checks=None``: all of them, less EXEMPT), on valid and invalid requests."""
    strategy = st.one_of(operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=not FUZZ,
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=EXEMPT.get(operation.label, []))

    conforms()


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(served: ApiServer, tokens: dict[str, str], role: str) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role != "anonymous" else {}
    assert set(EXEMPT) <= {operation.label for operation in operations}  # no exemption outlives its route
    for operation in operations:
        check_operation(operation, served.url, headers)
