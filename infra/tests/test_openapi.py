"""infra/openapi.yaml: a valid OpenAPI 3.1 document whose schemas (infra/schemas) accept every labelled report of the
repository, and whose paths are exactly the routes the SAM template gives the HTTP API. Where the house folder sits beside
the repository, its contracts are also checked to be the same as infra/schemas byte for byte (a drift check)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import corpus
import rules as R

INFRA = R.REPO / "infra"
OPENAPI = INFRA / "openapi.yaml"
SCHEMAS = ["report.schema.json", "alert.schema.json"]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(OPENAPI.read_text())


def test_the_document_is_valid_openapi_3_1_with_every_reference_resolved():
    spec_dict, base_uri = read_from_filename(str(OPENAPI))
    assert spec_dict["openapi"].startswith("3.1")
    validate(spec_dict, base_uri=base_uri)


@pytest.mark.parametrize("name", SCHEMAS)
def test_each_schema_is_a_valid_draft_2020_12_schema(name):
    schema = json.loads((INFRA / "schemas" / name).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_schema_copy_is_the_house_contract_byte_for_byte(name):
    contracts = corpus.house("contracts")
    if contracts is None:
        pytest.skip(corpus.HOUSE_ABSENT)
    assert (INFRA / "schemas" / name).read_bytes() == (contracts / name).read_bytes(), (
        f"infra/schemas/{name} differs from {contracts / name}: bring the repository's copy up to date"
    )


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _template_routes() -> set[tuple[str, str]]:
    t = R.load()
    out = set()
    for _, fn in R.resources(t, R.FUNCTION):
        for ev in ((fn.get("Properties") or {}).get("Events") or {}).values():
            if ev.get("Type") == "HttpApi":
                p = ev["Properties"]
                out.add((str(p["Method"]).lower(), str(p["Path"])))
    return out


def test_every_public_path_of_the_template_is_documented_and_nothing_else(spec):
    routes = _template_routes()
    # The staff console's pages (/staff/...) are HTML behind their own sign-in, not API paths: left out, like /admin.
    public_routes = {(m, p) for m, p in routes if not p.startswith(("/admin", "/staff"))}
    documented = {(m, p) for p, m, _ in _operations(spec) if not p.startswith("/admin")}
    assert not any(p.startswith("/staff") for p, _, _ in _operations(spec))
    assert documented == public_routes


def test_every_staff_path_goes_to_the_admin_route(spec):
    assert ("any", "/admin/{proxy+}") in _template_routes()
    staff = [(p, m) for p, m, _ in _operations(spec) if p.startswith("/admin")]
    # alerts (list, read, publish, reject, deliveries, withdraw, correct, trace a copy), reports, audit (read, verify),
    # help desk (find, resend, end),
    # members (list, approve, decline), cases (list, open, read, assign, note, contact, referral, close), services (list,
    # create, change, remove), rotas (read, replace), the report's thread (read, write), consent (read, record), police
    # packages (build, read, approve, export, print), the disclosure log, safeguarding overrides (ask, read, approve),
    # police link requests (list, record, ask to release, release)
    assert len(staff) == 48
    assert all(p.startswith("/admin/") for p, _ in staff)


def test_staff_paths_need_a_bearer_token_and_public_paths_do_not(spec):
    assert spec["components"]["securitySchemes"]["staff"] == {
        **spec["components"]["securitySchemes"]["staff"], "type": "http", "scheme": "bearer"
    }
    for path, method, op in _operations(spec):
        if path.startswith("/admin"):
            assert op.get("security") == [{"staff": []}], f"{method} {path}"
            assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
        else:
            assert not op.get("security"), f"{method} {path}"
    assert "security" not in spec


def test_every_error_answer_has_the_shared_shape(spec):
    refs_to_error = json.dumps(spec["components"]["responses"])
    for name, resp in spec["components"]["responses"].items():
        assert resp["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, name
    assert "Error" in refs_to_error
    codes_seen = set()
    for path, method, op in _operations(spec):
        for code, resp in op["responses"].items():
            if code.startswith(("4", "5")):
                codes_seen.add(code)
                if "$ref" in resp:
                    continue
                content = resp["content"]
                if "application/json" in content:
                    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {code}"
        if "requestBody" in op and "application/json" in op["requestBody"]["content"]:
            assert {"400", "413", "415", "429"} <= set(op["responses"]), f"{method} {path}"
    assert {"400", "401", "403", "404", "409", "413", "415", "429"} <= codes_seen
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert set(error["properties"]) == {"code", "message", "field", "retry_after"}


def test_publish_documents_both_conflicts(spec):
    conflict = spec["paths"]["/admin/alerts/{alert_id}/publish"]["post"]["responses"]["409"]
    examples = json.dumps(conflict["content"]["application/json"]["examples"])
    assert "alert_not_draft" in examples and "edit_identifies_someone" in examples


def _validator(schema_ref: str):
    """A validator for a schema of the document, with its relative references resolved as a client would."""
    registry = Registry()
    for name in SCHEMAS:
        contents = json.loads((INFRA / "schemas" / name).read_text())
        registry = registry.with_resource(f"./schemas/{name}", Resource.from_contents(contents, default_specification=DRAFT202012))
    schema = {"$ref": schema_ref}
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())


def test_the_request_body_of_post_reports_is_the_report_contract(spec):
    body = spec["paths"]["/reports"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "./schemas/report.schema.json"}
    assert "application/x-www-form-urlencoded" in body
    assert "201" in spec["paths"]["/reports"]["post"]["responses"]
    cases = sorted(corpus.OWN_CASES.glob("*.json"))
    assert len(cases) >= 27, f"expected the labelled cases in {corpus.OWN_CASES}, found {len(cases)}"
    v = _validator("./schemas/report.schema.json")
    for f in cases:
        v.validate(json.loads(f.read_text())["report"])
    with pytest.raises(jsonschema.ValidationError):
        v.validate({"incident": {"date": "2025-03-14", "town": "Leeds", "categories": []}})


def test_every_example_report_of_the_house_is_a_valid_report():
    examples = corpus.house("examples", "reports")
    if examples is None:
        pytest.skip(corpus.HOUSE_ABSENT)
    files = sorted(examples.glob("*.json"))
    assert len(files) >= 14, f"expected the house's 14 example reports, found {len(files)}"
    v = _validator("./schemas/report.schema.json")
    for f in files:
        v.validate(json.loads(f.read_text())["report"])


def test_the_alert_view_is_the_alert_contract_plus_its_status(spec):
    view = spec["components"]["schemas"]["AlertView"]["allOf"]
    assert view[0] == {"$ref": "./schemas/alert.schema.json"}
    assert {"alert_id", "status", "suggested_regions"} <= set(view[1]["required"])


def test_regions_are_the_contract_regions(spec):
    assert spec["components"]["schemas"]["Region"]["enum"] == [
        "north-east", "north-west", "yorkshire-humber", "east-midlands", "west-midlands", "east", "london",
        "south-east", "south-west", "wales", "scotland", "northern-ireland", "ireland",
    ]


def _component_validator(spec, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(
    "body,ok",
    [
        ({"email": "member@example.org", "regions": ["london"], "channels": ["email"]}, True),
        ({"phone": "07700 900123", "regions": ["london"], "channels": ["sms"]}, True),
        ({"email": "a@example.org", "phone": "+44 7700 900123", "regions": ["wales"], "channels": ["email", "sms"]}, True),
        ({"regions": ["london"], "channels": ["email"]}, False),
        ({"email": "not an address", "regions": ["london"], "channels": ["email"]}, False),
        ({"phone": "call me", "regions": ["london"], "channels": ["sms"]}, False),
        ({"email": "member@example.org", "regions": ["london"], "channels": ["sms"]}, False),
        ({"email": "member@example.org", "phone": "07700 900123", "regions": ["london"], "channels": ["email"]}, False),
    ],
    ids=["email", "phone", "both", "no-contact", "bad-email", "bad-phone", "sms-without-phone", "phone-without-sms"],
)
def test_the_subscribe_schema_holds_the_rules_the_server_holds(spec, body, ok):
    errors = list(_component_validator(spec, "SubscribeRequest").iter_errors(body))
    assert (not errors) == ok, [e.message for e in errors]
