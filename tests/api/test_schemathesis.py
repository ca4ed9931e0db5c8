"""Bad input, schema-wide (issue 8, point 8): Schemathesis runs every operation of the OpenAPI
schema as each role, and a NUL byte anywhere in a query string or JSON body is a 400.

Runs as its own CI step (`make schemathesis`); `make test` leaves it out (marker).
The operations come from the schema itself, so a new endpoint is covered without a change here.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from werkzeug.test import Client as WsgiClient

from config.wsgi import application
from tests.api.conftest import ROLES, client_for, token_header

pytestmark = pytest.mark.schemathesis

# Per operation and role: ~115 operations x 3 roles keep the CI step at a few minutes.
MAX_EXAMPLES = 10
PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def load_schema() -> dict:
    """The document /api/schema/ serves (drf-spectacular, public view), as JSON."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


RAW_SCHEMA = load_schema()
# Coverage phase off: it enumerates every boundary of every field (thousands of requests for
# the household form); examples + fuzzing with a bounded number of cases keep the step short.
schema = schemathesis.openapi.from_dict(
    RAW_SCHEMA,
    config=schemathesis.Config.from_dict(
        {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
    ),
)
schema.app = application


_EXISTING: dict[tuple[int, str], dict[str, list]] = {}


def _existing_values(user, path: str) -> dict[str, list]:
    """Values of the path parameters that name real rows, from the collection above them.

    Asked once per test (the key holds the user's id, new in every test's data).
    """
    key = (user.pk, path)
    if key not in _EXISTING:
        _EXISTING[key] = _read_existing_values(user, path)
    return _EXISTING[key]


def _read_existing_values(user, path: str) -> dict[str, list]:
    values: dict[str, list] = {}
    for match in PATH_PARAMETER.finditer(path):
        collection = path[: match.start()]
        if ("get" not in RAW_SCHEMA["paths"].get(collection, {})) or "{" in collection:
            continue
        # Through the WSGI app, like Schemathesis: Django's test client would reconnect the
        # signals that close the test's connection (see conftest._keep_test_connection).
        response = WsgiClient(application).get(
            collection, query_string={"page_size": 100}, headers=token_header(user)
        )
        if response.status_code != 200:
            continue
        body = response.get_json()
        rows = body.get("results", []) if isinstance(body, dict) else body
        name = match.group(1)
        values[name] = [row[name] for row in rows if isinstance(row, dict) and name in row]
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("role_user", ROLES, indirect=True)
@schema.given(data=st.data())
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_as_role(case, data, role_user, api_data, county_reviewer):
    # Random ids seldom hit a row: mostly take one that exists (in any township, so another
    # township's rows are tried too; the county reviewer sees them all).
    for name, existing in _existing_values(county_reviewer, case.path).items():
        if existing and data.draw(st.integers(0, 3), label=f"real {name}?"):
            case.path_parameters[name] = data.draw(st.sampled_from(existing), label=name)
    case.call_and_validate(
        headers=token_header(role_user),
        checks=[not_a_server_error, status_code_conformance, content_type_conformance],
    )


def _operations(methods: set[str]) -> list:
    return list(_each_operation(methods))


def _each_operation(methods: set[str]):
    for path, item in RAW_SCHEMA["paths"].items():
        for method, operation in item.items():
            if method in methods:
                yield pytest.param(path, method, operation, id=f"{method.upper()} {path}")


def _url(path: str) -> str:
    return PATH_PARAMETER.sub("1", path)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method", "operation"), _operations({"get"}))
def test_nul_in_any_query_parameter_is_400(path, method, operation, county_reviewer):
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] or ["q"]
    client = client_for(county_reviewer)
    for name in names:
        response = client.get(_url(path) + f"?{name}=a%00b")
        assert response.status_code == 400, (name, response.content)
        assert response["Content-Type"] == "application/json"
        assert "NUL" in response.json()["detail"]


def _string_fields(operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    body_schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in body_schema:
        body_schema = RAW_SCHEMA["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[1]]
    properties = body_schema.get("properties", {})
    return [name for name, field in properties.items() if field.get("type") == "string"]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method", "operation"), _operations({"post", "put", "patch"}))
def test_nul_in_any_json_string_is_400(path, method, operation, county_reviewer):
    client = client_for(county_reviewer)
    for name in _string_fields(operation) or ["note"]:
        body = json.dumps({name: "a\u0000b"})
        response = getattr(client, method)(_url(path), body, content_type="application/json")
        assert response.status_code == 400, (name, response.content)
        assert "NUL" in response.json()["detail"]


@pytest.mark.django_db
def test_served_schema_is_the_one_tested(county_reviewer):
    """What /api/schema/ serves to a signed-in user is the document Schemathesis ran over."""
    served = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=token_header(county_reviewer)
    )
    assert served.raw_schema["paths"].keys() == RAW_SCHEMA["paths"].keys()
    assert Client().get("/api/schema/").status_code in {401, 403}
