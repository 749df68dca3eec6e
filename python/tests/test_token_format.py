"""Runs tests/vectors/token_format.json against the installed clouddigit wheel."""

import pytest

from clouddigit import ClouddigitError, TokenFormatError, is_token, parse_token_secret
from conftest import listed_codes, load_vectors

CASES = load_vectors("token_format.json")["cases"]


def test_vectors_file_has_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_token_format_vector(case):
    text = case["text"]
    expect = case["expect"]
    if expect["ok"]:
        info = parse_token_secret(text)
        assert info.prefix == expect["prefix"]
        assert repr(info) == f'TokenSecretInfo(prefix="{expect["prefix"]}")'
        assert is_token(text.strip())
        return
    assert not is_token(text)
    with pytest.raises(TokenFormatError) as raised:
        parse_token_secret(text)
    err = raised.value
    assert isinstance(err, ClouddigitError) and isinstance(err, ValueError)
    assert err.code == expect["code"]
    # Nothing past the 9-character prefix is echoed: not the rest, not any 8 characters of it.
    secret_part = text.strip()[9:]
    shown = str(err) + repr(err)
    if len(secret_part) >= 8:
        assert secret_part not in shown
        assert not any(secret_part[i : i + 8] in shown for i in range(len(secret_part) - 7))


def test_every_code_is_reached():
    seen = set()
    for case in CASES:
        try:
            parse_token_secret(case["text"])
        except TokenFormatError as e:
            seen.add(e.code)
    assert [c for c in listed_codes("token_format") if c not in seen] == []


def test_wrong_argument_type_is_a_type_error():
    with pytest.raises(TypeError):
        parse_token_secret(42)  # type: ignore[arg-type]
