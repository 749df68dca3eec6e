import json
import os
from pathlib import Path

import pytest

VECTORS = Path(os.environ.get("CLOUDDIGIT_VECTORS", Path(__file__).resolve().parents[2] / "tests" / "vectors"))


def load_vectors(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def listed_codes(key: str) -> list:
    """The codes tests/vectors/codes.json lists under `key`: each must be reached by some
    case of that vector file (core/tests/codes.rs checks the lists against the Rust enums)."""
    codes = load_vectors("codes.json")[key]
    assert isinstance(codes, list) and codes, f"codes.json has no list {key}"
    return codes


@pytest.fixture
def vectors_dir() -> Path:
    return VECTORS
