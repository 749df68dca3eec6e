"""`clouddigit/types.py` and `clouddigit/models.py` are generated from
schema/clouddigit.schema.json by scripts/gen-python-types.py: regenerated here in
memory, they must equal the committed files byte for byte."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen-python-types.py"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_python_types", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = generator()
FILES = GEN.render(json.loads(GEN.SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted(FILES), ids=lambda p: p.name)
def test_committed_file_is_what_the_schema_generates(path: Path) -> None:
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    assert committed == FILES[path], (
        f"{path.relative_to(ROOT)} differs from what schema/clouddigit.schema.json gives: "
        "run scripts/gen-python-types.py (after UPDATE_SCHEMA=1 cargo test -p clouddigit-ffi --test schema)"
    )


def test_check_mode_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert GEN.main(["--check"]) == 0, capsys.readouterr().err


def test_every_model_is_in_the_schema_and_the_package() -> None:
    import clouddigit.models
    import clouddigit.types

    schema = json.loads(GEN.SCHEMA.read_text(encoding="utf-8"))["$defs"]
    for name in GEN.MODELS:
        model = getattr(clouddigit.models, name)
        shape = getattr(clouddigit.types, name)
        fields = set(model.__dataclass_fields__) - {"raw"}
        assert fields == set(schema[name]["properties"]) == set(shape.__annotations__), name
