#!/usr/bin/env python3
"""Validate OCSF events against the vendored official OCSF JSON Schemas.

usage: python3 tests/vectors/ocsf/validate.py [--schema-dir DIR] FILE...

Each FILE ("-" for stdin) holds one JSON event, a JSON array of events, or
JSON lines (one event per line). The schema is picked by the event's
class_uid: 6003 -> api_activity.json, 3002 -> authentication.json; any other
class_uid is an error. Every failure is printed with the event's index and the
JSON path of the offending value. Exit status: 0 when at least one event was
read and all passed, 1 otherwise.

Needs the `jsonschema` package (pip install jsonschema). Validation is fully
offline: the schemas are self-contained (only "#/$defs/..." references) and
remote reference retrieval is refused.
"""

import argparse
import json
import sys
from pathlib import Path

try:
    import jsonschema
    from jsonschema.validators import validator_for
except ImportError:  # pragma: no cover
    sys.exit("validate.py needs the jsonschema package: pip install jsonschema")

HERE = Path(__file__).resolve().parent
SCHEMA_BY_CLASS_UID = {6003: "api_activity", 3002: "authentication"}
MAX_MSG = 300


def _local_refs_only(node, where="#"):
    """Yield every $ref that is not a same-document JSON pointer."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            yield where, ref
        for k, v in node.items():
            yield from _local_refs_only(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _local_refs_only(v, f"{where}/{i}")


def _registry():
    """A referencing registry that refuses to fetch anything (jsonschema>=4.18)."""
    try:
        from referencing import Registry
        from referencing.exceptions import NoSuchResource
    except ImportError:
        return None

    def refuse(uri):
        raise NoSuchResource(ref=uri)

    return Registry(retrieve=refuse)


def load_validators(schema_dir):
    validators = {}
    registry = _registry()
    for class_uid, name in SCHEMA_BY_CLASS_UID.items():
        path = schema_dir / f"{name}.json"
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        remote = list(_local_refs_only(schema))
        if remote:
            raise SystemExit(f"{path}: not self-contained, remote $ref at {remote[0]}")
        cls = validator_for(schema)  # honours "$schema" (draft-07 for OCSF exports)
        cls.check_schema(schema)
        kwargs = {"registry": registry} if registry is not None else {}
        # No format_checker: the OCSF exports use no "format" keyword.
        validators[class_uid] = (name, cls(schema, **kwargs))
    return validators


def read_events(path):
    """Return a list of (label, event) from one file; raises ValueError on bad input."""
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    if not text.strip():
        return []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as whole_err:
        events = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append((f"line {lineno}", json.loads(line)))
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"neither a JSON document ({whole_err}) nor JSON lines "
                    f"(line {lineno}: {e})"
                ) from None
        return [(f"[{i}] ({label})", ev) for i, (label, ev) in enumerate(events)]
    if isinstance(doc, list):
        return [(f"[{i}]", ev) for i, ev in enumerate(doc)]
    return [("[0]", doc)]


def json_path(error):
    path = getattr(error, "json_path", None)
    if path is not None:
        return path
    out = "$"
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def describe(error):
    # anyOf/oneOf of plain "required" alternatives: OCSF at_least_one / just_one
    alts = error.schema.get(error.validator) if error.validator in ("anyOf", "oneOf") else None
    if isinstance(alts, list) and alts and all(set(a) <= {"required", "not"} for a in alts):
        names = [n for a in alts for n in a.get("required", [])]
        how = "at least one" if error.validator == "anyOf" else "exactly one"
        return f"needs {how} of: {', '.join(names)}"
    msg = error.message
    return msg if len(msg) <= MAX_MSG else msg[: MAX_MSG - 3] + "..."


def validate_events(events, schema_dir=None):
    """Every failure of `events` (a list of dicts) as "[i] path: why"; [] when all
    pass. For tests that hold the records in memory."""
    validators = load_validators(Path(schema_dir) if schema_dir else HERE / "schema")
    out = []
    for i, event in enumerate(events):
        class_uid = event.get("class_uid") if isinstance(event, dict) else None
        if type(class_uid) is not int or class_uid not in validators:
            out.append(f"[{i}] $.class_uid: {class_uid!r} is not a supported class_uid")
            continue
        _, v = validators[class_uid]
        for e in sorted(v.iter_errors(event), key=lambda e: list(e.absolute_path)):
            out.append(f"[{i}] {json_path(e)}: {describe(e)}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", metavar="FILE")
    ap.add_argument(
        "--schema-dir",
        type=Path,
        default=HERE / "schema",
        help="directory holding api_activity.json and authentication.json "
        "(default: %(default)s)",
    )
    args = ap.parse_args(argv)

    validators = load_validators(args.schema_dir)
    total = failed = read_errors = 0
    for path in args.files:
        try:
            events = read_events(path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print(f"{path}: cannot read events: {e}")
            read_errors += 1
            continue
        for label, event in events:
            total += 1
            where = f"{path}{label}"
            if not isinstance(event, dict):
                print(f"{where}: $: event is not a JSON object")
                failed += 1
                continue
            class_uid = event.get("class_uid")
            if type(class_uid) is not int or class_uid not in validators:
                print(
                    f"{where}: $.class_uid: {class_uid!r} is not a supported class_uid "
                    f"(expected one of {sorted(validators)})"
                )
                failed += 1
                continue
            name, validator = validators[class_uid]
            errors = sorted(
                validator.iter_errors(event),
                key=lambda e: (list(map(str, e.absolute_path)), e.validator),
            )
            if errors:
                failed += 1
                for err in errors:
                    print(f"{where}: {name}: {json_path(err)}: {describe(err)}")

    if total == 0:
        print("no events found")
        return 1
    unreadable = f" ({read_errors} unreadable file(s))" if read_errors else ""
    print(f"{total - failed} passed, {failed + read_errors} failed{unreadable}")
    return 1 if failed or read_errors else 0


if __name__ == "__main__":
    sys.exit(main())
