import json
import os
from pathlib import Path

import pytest

VECTORS = Path(os.environ.get("CLOUDDIGIT_VECTORS", Path(__file__).resolve().parents[2] / "tests" / "vectors"))


def load_vectors(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture
def vectors_dir() -> Path:
    return VECTORS
