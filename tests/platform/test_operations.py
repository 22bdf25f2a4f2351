"""Operations: Kafka client security from the environment, the CLI's tokens and ACLs."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram256, SASLScram512

from shared.auth import Role, decode_token
from shared.cli import main as cli
from shared.kafka_security import security_from_env
from shared.settings import ServiceSettings


def test_plaintext_is_the_embedded_default() -> None:
    assert security_from_env({}) is None


def test_sasl_ssl_with_scram_512_for_a_real_cluster() -> None:
    security = security_from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_USERNAME": "parts",
            "KAFKA_SASL_PASSWORD": "s3cret",
        }
    )
    assert isinstance(security, SASLScram512)
    assert security.use_ssl and security.ssl_context is not None
    assert (security.username, security.password) == ("parts", "s3cret")


def test_scram_256_without_tls_when_asked() -> None:
    security = security_from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "KAFKA_SASL_USERNAME": "crm",
            "KAFKA_SASL_PASSWORD": "x",
        }
    )
    assert isinstance(security, SASLScram256) and not security.use_ssl


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL must be one of"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs KAFKA_SASL_USERNAME"),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "MD5",
                "KAFKA_SASL_USERNAME": "a",
                "KAFKA_SASL_PASSWORD": "b",
            },
            "KAFKA_SASL_MECHANISM",
        ),
    ],
)
def test_a_wrong_security_setting_says_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        security_from_env(env)


def test_issue_token_for_any_user(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(
            [
                "issue-token",
                "--user",
                "li.na",
                "--name",
                "李娜",
                "--role",
                "service_advisor",
                "--stations",
                "bj01,sh01",
            ]
        )
        == 0
    )
    user = decode_token(ServiceSettings().auth_secret, capsys.readouterr().out.strip())
    assert (user.user_id, user.name, user.role, user.stations) == (
        "li.na",
        "李娜",
        Role.SERVICE_ADVISOR,
        ("bj01", "sh01"),
    )


def test_acls_give_each_service_only_its_topics(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["acls"]) == 0
    script = capsys.readouterr().out
    assert "--allow-principal User:parts --operation Read --group parts" in script
    assert (
        "--allow-principal User:parts --operation Read --operation Describe --topic item.requested"
    ) in script
    assert (
        "--allow-principal User:reception --operation Write --operation Describe "
        "--topic order.created"
    ) in script
    assert (
        "--allow-principal User:parts --operation Write --operation Describe "
        "--topic order.created\n"
    ) not in script
