"""The id_token is verified against the JWKS: signature, issuer, expiry, audience; region and subdomain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.integrations.pagerduty.oauth import Identity, OAuthFailure, grant_from, verify_id_token
from config import Settings, load_settings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
JWKS = {"keys": [KEY.as_dict(private=False)]}


@pytest.fixture(scope="module")
def settings() -> Settings:
    base = load_settings({"SECRET_KEY": "x" * 20, "ENCRYPTION_KEYS": Fernet.generate_key().decode()})
    return dataclasses.replace(base, pagerduty_client_id="cid", pagerduty_client_secret="secret")


def claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": "https://identity.pagerduty.com/global/oauth/anonymous",
        "aud": ["https://api.pagerduty.com", "cid"],
        "sub": "PUSER1",
        "user_id": "PUSER1",
        "account_id": "PACCT1",
        "subdomain": "acme",
        "region": "UnitedStates",
        "iat": int(NOW.timestamp()) - 10,
        "exp": int(NOW.timestamp()) + 3600,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(values: dict[str, Any], key: RSAKey = KEY) -> str:
    return jwt.encode({"alg": "RS256", "kid": "k1"}, values, key)


def test_it_reads_region_and_subdomain_from_a_valid_token(settings: Settings) -> None:
    identity = verify_id_token(sign(claims()), JWKS, settings, NOW)

    assert identity == Identity(region="us", subdomain="acme", account_id="PACCT1", user_id="PUSER1")


def test_it_maps_the_eu_api_audience_to_the_eu_region(settings: Settings) -> None:
    token = sign(claims(aud=["https://api.eu.pagerduty.com", "cid"], subdomain="acme-eu"))

    assert verify_id_token(token, JWKS, settings, NOW).region == "eu"


@pytest.mark.parametrize(
    ("token_claims", "key", "detail"),
    [
        (claims(), OTHER_KEY, "bad_signature"),
        (claims(iss="https://evil.example/global/oauth/anonymous"), KEY, "Invalid claim: 'iss'"),
        (claims(exp=int(NOW.timestamp()) - 600), KEY, "expired"),
        (claims(aud=["https://api.pagerduty.com", "someone-else"]), KEY, "issued to another client"),
        (claims(aud=["https://api.example.com", "cid"]), KEY, "names neither PAGERDUTY_API_URL"),
        (claims(subdomain=None), KEY, "names no account subdomain"),
        (claims(subdomain="a" * 200), KEY, "its account subdomain is not a host name"),
        (claims(subdomain="acme\x00"), KEY, "its account subdomain is not a host name"),
    ],
)
def test_it_refuses_a_token_it_cannot_trust(
    settings: Settings, token_claims: dict[str, Any], key: RSAKey, detail: str
) -> None:
    with pytest.raises(OAuthFailure) as caught:
        verify_id_token(sign(token_claims, key), JWKS, settings, NOW)

    assert caught.value.status == 400
    assert "could not be verified" in str(caught.value)
    assert detail in str(caught.value)


def test_it_refuses_garbage(settings: Settings) -> None:
    with pytest.raises(OAuthFailure, match="could not be verified"):
        verify_id_token("not.a.jwt", JWKS, settings, NOW)


def test_it_trusts_expires_in_over_documented_lifetimes() -> None:
    token = {
        "access_token": "pdus+_A1",
        "refresh_token": "pdus+_R1",
        "expires_in": 864000,
        "scope": "openid write",
    }

    grant = grant_from(token, NOW)

    assert grant.expires_at == datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
    assert grant.scopes == "openid write"
    assert "pdus+_" not in repr(grant)
