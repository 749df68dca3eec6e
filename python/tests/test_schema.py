"""The shared vectors and the catalog validate against schema/clouddigit.schema.json,
with an independent validator (the Python `jsonschema` package)."""

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import VECTORS, load_vectors

SCHEMA_PATH = VECTORS.parent.parent / "schema" / "clouddigit.schema.json"
CATALOG_PATH = VECTORS.parent.parent / "core" / "catalog" / "catalog.json"


def validator(definition: str) -> jsonschema.Draft202012Validator:
    root = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema = dict(root)
    schema["$ref"] = f"#/$defs/{definition}"
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    ("file", "definition"),
    [
        ("authorize.json", "AuthorizeVectors"),
        ("token_format.json", "TokenFormatVectors"),
        ("validate_token.json", "ValidateTokenVectors"),
        ("validate_service_account.json", "ValidateServiceAccountVectors"),
        ("trust_validate.json", "TrustValidateVectors"),
    ],
)
def test_vectors_validate(file: str, definition: str) -> None:
    doc = load_vectors(file)
    assert doc["$schema"].endswith(f"#/$defs/{definition}")
    errors = sorted(validator(definition).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_catalog_validates() -> None:
    doc = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    errors = list(validator("Catalog").iter_errors(doc))
    assert not errors, errors[0].message


def _mutations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    bad_reason = copy.deepcopy(doc)
    bad_reason["cases"][0]["expect"]["reason"] = "because"
    out.append(("unknown reason code", bad_reason))
    bad_role = copy.deepcopy(doc)
    owner = next(o for o in bad_role["owners"].values() if o["type"] == "service_account")
    owner["role"] = "owner"
    out.append(("service account with an org role", bad_role))
    extra = copy.deepcopy(doc)
    extra["cases"][0]["request"]["projectt"] = "web"
    out.append(("misspelt request field", extra))
    no_time = copy.deepcopy(doc)
    del no_time["cases"][0]["request"]["time"]
    out.append(("request without time", no_time))
    bad_time = copy.deepcopy(doc)
    bad_time["cases"][0]["request"]["time"] = "yesterday"
    out.append(("time that is not RFC 3339", bad_time))
    return out


@pytest.mark.parametrize("index", range(5))
def test_schema_rejects_broken_vectors(index: int) -> None:
    name, doc = _mutations(load_vectors("authorize.json"))[index]
    assert list(validator("AuthorizeVectors").iter_errors(doc)), f"schema accepted: {name}"
