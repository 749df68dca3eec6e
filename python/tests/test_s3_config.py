"""s3_config against the installed wheel: boto3's arguments from the session's endpoint
rule (session/src/config.rs), the environment (CD_S3_ENDPOINT_URL) and the access key."""

import importlib.util

import pytest

from clouddigit import ConfigError, Secret, s3_config

SECRET = "cdsk/EXAMPLE+secret0123456789abcdefghijklm"
HAS_BOTOCORE = importlib.util.find_spec("botocore") is not None


@pytest.fixture(autouse=True)
def no_s3_environment(monkeypatch):
    for k in ("CD_S3_ENDPOINT_URL", "CD_REGION", "CD_ALLOW_INSECURE_HTTP"):
        monkeypatch.delenv(k, raising=False)


def plain(args):
    return {k: v for k, v in args.items() if k != "config"}


def test_region_and_ingress_name_the_endpoint():
    assert plain(s3_config()) == {"endpoint_url": "https://s3.bd-dha-1.mymine.space", "region_name": "bd-dha-1"}
    assert plain(s3_config("bd-ctg-1", ingress="canonical")) == {
        "endpoint_url": "https://s3.bd-ctg-1.clouddigit.ai", "region_name": "bd-ctg-1"}
    assert s3_config(endpoint_url="http://127.0.0.1:8788/")["endpoint_url"] == "http://127.0.0.1:8788"


def test_path_style_addressing_when_botocore_is_there():
    args = s3_config()
    if HAS_BOTOCORE:
        assert args["config"].s3 == {"addressing_style": "path"}
    else:
        assert "config" not in args


def test_the_environment_applies_where_the_arguments_say_nothing(monkeypatch):
    monkeypatch.setenv("CD_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("CD_REGION", "bd-syl-1")
    assert plain(s3_config()) == {"endpoint_url": "http://127.0.0.1:9000", "region_name": "bd-syl-1"}
    assert plain(s3_config("bd-dha-1", endpoint_url="https://objects.example.com")) == {
        "endpoint_url": "https://objects.example.com", "region_name": "bd-dha-1"}
    assert plain(s3_config(env=False))["endpoint_url"] == "https://s3.bd-dha-1.mymine.space"


def test_an_access_key_passes_through_and_never_prints():
    for secret in (SECRET, Secret(SECRET)):
        args = s3_config(access_key_id="CDAKEXAMPLE0123456789", secret_access_key=secret)
        assert args["aws_access_key_id"] == "CDAKEXAMPLE0123456789"
        assert args["aws_secret_access_key"] == SECRET
        assert SECRET not in repr(args) and SECRET not in str(args) and SECRET not in f"{args}"
        assert "CDAKEXAMPLE0123456789" in repr(args)


@pytest.mark.parametrize(
    "kwargs,code,field",
    [
        ({"region": "us-east-1"}, "unknown_region", "region"),
        ({"endpoint_url": "s3.example.com"}, "bad_endpoint_url", "endpoint_url"),
        ({"endpoint_url": "http://s3.example.com"}, "insecure_endpoint_url", "endpoint_url"),
        ({"access_key_id": "CDAKEXAMPLE0123456789"}, "incomplete_access_key", "secret_access_key"),
        ({"secret_access_key": SECRET}, "incomplete_access_key", "access_key_id"),
        ({"ingress": "fast"}, "bad_option", "ingress"),
        ({"region": 5}, "bad_option", "region"),
    ],
)
def test_bad_arguments_are_config_errors_naming_the_field(kwargs, code, field):
    with pytest.raises(ConfigError) as raised:
        s3_config(**kwargs)
    err = raised.value
    assert isinstance(err, ValueError)
    assert err.code == code
    assert f": {field}: " in str(err), str(err)
    assert SECRET not in str(err)


def test_insecure_http_when_asked(monkeypatch):
    assert s3_config(endpoint_url="http://s3.example.com", allow_insecure_http=True)["endpoint_url"] == "http://s3.example.com"
    monkeypatch.setenv("CD_ALLOW_INSECURE_HTTP", "1")
    assert s3_config(endpoint_url="http://s3.example.com")["endpoint_url"] == "http://s3.example.com"


def test_an_unknown_option_is_named():
    # Only reachable through the native layer: s3_config's keywords are a closed set.
    from clouddigit import _native
    from clouddigit.errors import from_native

    with pytest.raises(_native.ClientError) as raised:
        _native.s3_config({"endpoint": "https://x"}, {})
    err = from_native(raised.value)
    assert isinstance(err, ConfigError) and err.code == "unknown_option"
    assert ": endpoint: unknown field `endpoint`" in str(err)
