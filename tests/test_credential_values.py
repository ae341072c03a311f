"""`core/credential_values`: the few value shapes that carry a credential whatever the name,
and ordinary values that look a little like them and must not be taken for one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.credential_values import CREDENTIAL_KINDS, credential_kind

# Tokens are put together here, so that no scanner takes this file for a leak.
GITHUB_TAIL = "a1B2c3D4e5" * 3 + "F6g7H8"  # 36 letters and digits
GITHUB_PAT_TAIL = "11ABCDEFG0" + "abcdefghij" * 2 + "_" + "Zyxwvutsrq" * 6
SLACK_TAIL = "1234567890-0987654321-AbCdEfGhIjKlMnOp"
STRIPE_TAIL = "51Hx" + "AbCdEfGh12" * 3
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPL3"

URL_PASSWORD = "a password in a URL"
PASSWORD_PARAMETER = "a password parameter"
GITHUB = "a GitHub token"
SLACK = "a Slack token"
STRIPE = "a Stripe secret key"
AWS = "an AWS access key id"
PRIVATE_KEY = "a private key"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("postgres://app:hunter2@db/x", URL_PASSWORD),
        ("redis://:redispw@redis:6379", URL_PASSWORD),  # no user, a password
        ("amqp://guest:p@ss@rabbit:5672/", URL_PASSWORD),  # an '@' in the password
        ("primary=mysql://u:pw@a/db,replica=mysql://b/db", URL_PASSWORD),  # anywhere in it
        ("https://x-access-token:abc@github.com/org/repo.git", URL_PASSWORD),
        ("jdbc:postgresql://db:5432/shop?user=app&password=hunter2", PASSWORD_PARAMETER),
        ("Server=db;Database=shop;User Id=app;Password=hunter2;", PASSWORD_PARAMETER),
        ("Driver={ODBC};Uid=app;PWD=hunter2", PASSWORD_PARAMETER),
        ("password=hunter2", PASSWORD_PARAMETER),
        (f"ghp_{GITHUB_TAIL}", GITHUB),
        (f"token ghs_{GITHUB_TAIL}", GITHUB),
        (f"gho_{GITHUB_TAIL}", GITHUB),
        (f"github_pat_{GITHUB_PAT_TAIL}", GITHUB),
        (f"xoxb-{SLACK_TAIL}", SLACK),
        (f"xoxp-{SLACK_TAIL}", SLACK),
        (f"xoxa-{SLACK_TAIL}", SLACK),
        (f"sk_live_{STRIPE_TAIL}", STRIPE),
        (f"sk_test_{STRIPE_TAIL}", STRIPE),  # a test-mode secret key reads test-mode data
        (f"rk_live_{STRIPE_TAIL}", STRIPE),
        (AWS_KEY_ID, AWS),
        (f"id={AWS_KEY_ID}", AWS),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n", PRIVATE_KEY),
        ("-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----", PRIVATE_KEY),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg\n", PRIVATE_KEY),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n", PRIVATE_KEY),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQdG\n", PRIVATE_KEY),
    ],
)
def test_a_value_that_carries_a_credential_is_named_for_its_kind(value: str, kind: str) -> None:
    assert credential_kind(value) == kind


@pytest.mark.parametrize(
    "value",
    [
        "info",
        "8080",
        "shop",
        "https://shop.example/orders",
        "https://user@example.com/path",  # a user, no password
        "https://user:@example.com/",  # an empty password
        "http://api:8080",  # a port, not a password
        "https://example.com:8443/users/@alice",  # an '@' in the path
        "https://example.com/a:b@c",  # a ':' and an '@' in the path, not the userinfo
        "postgres://db/shop?sslmode=require",
        "https://app.example/reset?password_reset=1",  # another parameter
        "FORGOT_PASSWORD_URL",
        f"pk_live_{STRIPE_TAIL}",  # a publishable key: meant for browsers
        f"pk_test_{STRIPE_TAIL}",
        "ghp_short",  # too short for a GitHub token
        f"myghp_{GITHUB_TAIL}",  # not a word of its own
        "xoxc-not-slack",
        "AKIAPLACEHOLDER",  # too short for a key id
        f"{AWS_KEY_ID}X",  # too long
        "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
        "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
        "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea",  # a digest
        "9b2f2c84-3c4b-4c1e-9f8a-0d3f3b1e7a55",  # a UUID
        "dGhpcyBpcyBub3QgYSBzZWNyZXQgYnV0IGxvb2tzIHJhbmRvbQ==",  # base64, no shape of one
    ],
)
def test_an_ordinary_value_that_looks_a_little_like_one_carries_no_credential(
    value: str,
) -> None:
    assert credential_kind(value) is None


def test_every_kind_a_value_is_named_for_is_listed() -> None:
    assert set(CREDENTIAL_KINDS) == {
        URL_PASSWORD,
        PASSWORD_PARAMETER,
        GITHUB,
        SLACK,
        STRIPE,
        AWS,
        PRIVATE_KEY,
    }


def test_a_long_value_without_a_credential_is_read_in_linear_time() -> None:
    """No pattern backtracks over a long run of letters (a base64 blob, a long word)."""
    assert credential_kind("a" * 200_000 + "://" + "b" * 200_000) is None
    assert credential_kind("A" * 400_000) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
def test_any_text_is_judged_without_error(value: str) -> None:
    assert credential_kind(value) in (None, *CREDENTIAL_KINDS)
