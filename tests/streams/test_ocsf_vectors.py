"""Every OCSF record tests/vectors/audit_format.json pins (and so every host's
audit_record / auditRecord) validates against OCSF's own JSON Schema for its class, as
the OCSF server exports it with the cloud profile (tests/vectors/ocsf/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vectors" / "ocsf"))
import validate  # noqa: E402

SCHEMAS = ROOT / "tests" / "vectors" / "ocsf" / "schema-profiles-cloud"


def test_every_ocsf_vector_validates() -> None:
    cases = json.loads((ROOT / "tests" / "vectors" / "audit_format.json").read_text())["cases"]
    records = [c["expect"] for c in cases if c["format"] == "ocsf"]
    assert len(records) >= 10
    assert {r["class_uid"] for r in records} == {6003, 3002}
    assert all(r["metadata"]["version"] == "1.8.0" for r in records)
    assert validate.validate_events(records, SCHEMAS) == []


def test_the_schema_check_can_fail() -> None:
    cases = json.loads((ROOT / "tests" / "vectors" / "audit_format.json").read_text())["cases"]
    record = dict(next(c["expect"] for c in cases if c["format"] == "ocsf"))
    del record["metadata"]
    record["unexpected"] = 1
    errors = validate.validate_events([record], SCHEMAS)
    assert any("metadata" in e for e in errors) and any("unexpected" in e for e in errors), errors
