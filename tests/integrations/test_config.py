"""load_config: connectors from MOTCUA_CONNECTORS and MOTCUA_CONNECTOR_<NAME>_TOKEN/_TIMEOUT/
_ATTEMPTS/_BACKOFF."""

from __future__ import annotations

import dataclasses

import pytest

from integrations import ConnectorConfig, load_config


def test_parses_the_environment_format():
    configs = load_config(
        {
            "MOTCUA_CONNECTORS": " dvc=http://127.0.0.1:8081 , post=https://post.example.vn/api/ ,",
            "MOTCUA_CONNECTOR_POST_TOKEN": "s3cret",
            "MOTCUA_CONNECTOR_DVC_TIMEOUT": "2.5",
            "MOTCUA_CONNECTOR_TAX_TOKEN": "ignored: tax is not a connector",
        }
    )
    assert configs == {
        "dvc": ConnectorConfig("dvc", "http://127.0.0.1:8081", timeout=2.5),
        "post": ConnectorConfig("post", "https://post.example.vn/api", timeout=10.0, token="s3cret"),
    }
    assert configs["dvc"].token is None and configs["dvc"].headers == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        configs["dvc"].timeout = 1


def test_the_environment_sets_a_connectors_retry_policy():
    configs = load_config(
        {
            "MOTCUA_CONNECTORS": "post=http://127.0.0.1:8082",
            "MOTCUA_CONNECTOR_POST_ATTEMPTS": "3",
            "MOTCUA_CONNECTOR_POST_BACKOFF": "0.5",
        }
    )
    assert (configs["post"].attempts, configs["post"].backoff) == (3, 0.5)
    assert load_config({"MOTCUA_CONNECTORS": "dvc=http://a"})["dvc"].attempts is None


@pytest.mark.parametrize("value", [None, "", " , "])
def test_no_connectors(value):
    environ = {} if value is None else {"MOTCUA_CONNECTORS": value}
    assert load_config(environ) == {}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MOTCUA_CONNECTORS": "dvc"}, "expected name=url"),
        ({"MOTCUA_CONNECTORS": "=http://127.0.0.1:8081"}, "expected name=url"),
        ({"MOTCUA_CONNECTORS": "DVC=http://127.0.0.1:8081"}, "lower-case name"),
        ({"MOTCUA_CONNECTORS": "d-v-c=http://127.0.0.1:8081"}, "lower-case name"),
        ({"MOTCUA_CONNECTORS": "dvc="}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=127.0.0.1:8081"}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=ftp://127.0.0.1"}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=http://127.0.0.1:8081?x=1"}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a:8081,dvc=http://b:8081"}, "given twice"),
        ({"MOTCUA_CONNECTORS": "dvc=http://user:pw@a:8081"}, "_TOKEN variable"),
        ({"MOTCUA_CONNECTORS": "dvc=ftp://user:pw@a:8081"}, "_TOKEN variable"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a:port"}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a:99999"}, "needs an http"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_TIMEOUT": "abc"}, "DVC_TIMEOUT"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_TIMEOUT": "0"}, "DVC_TIMEOUT"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_TIMEOUT": "-1"}, "DVC_TIMEOUT"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_TIMEOUT": "nan"}, "DVC_TIMEOUT"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_TIMEOUT": "inf"}, "DVC_TIMEOUT"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_ATTEMPTS": "0"}, "DVC_ATTEMPTS"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_ATTEMPTS": "2.5"}, "DVC_ATTEMPTS"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_ATTEMPTS": "21"}, "DVC_ATTEMPTS"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_BACKOFF": "-1"}, "DVC_BACKOFF"),
        ({"MOTCUA_CONNECTORS": "dvc=http://a", "MOTCUA_CONNECTOR_DVC_BACKOFF": "nan"}, "DVC_BACKOFF"),
    ],
)
def test_bad_entries_raise_a_clear_value_error(environ, message):
    with pytest.raises(ValueError, match=message) as caught:
        load_config(environ)
    assert "pw" not in str(caught.value)
