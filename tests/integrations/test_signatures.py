import hashlib
import hmac

from app.integrations.pagerduty.webhooks import sign, verify_signature

BODY = b'{"event":{"id":"01DEN1HNLBC1VITK192ETJ1MPJ","event_type":"incident.triggered"}}'
SECRET = "ChPp0yUf7qYOeJ2IxbH1T4xnXgBn3c0VRPQe1dTnwLmV0HVx6OIQU7f2ZfCNjx9o"
OLD_SECRET = "old-secret-still-valid-during-rotation"


def test_it_signs_as_v1_hex_hmac_sha256() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()

    assert sign(BODY, SECRET) == f"v1={expected}"


def test_it_accepts_a_valid_signature() -> None:
    assert verify_signature(BODY, sign(BODY, SECRET), [SECRET])


def test_it_rejects_a_signature_made_with_another_secret() -> None:
    assert not verify_signature(BODY, sign(BODY, "someone-else"), [SECRET])


def test_it_rejects_a_tampered_body() -> None:
    header = sign(BODY, SECRET)

    assert not verify_signature(BODY.replace(b"triggered", b"resolved"), header, [SECRET])
    assert not verify_signature(BODY + b" ", header, [SECRET])


def test_it_rejects_a_missing_or_empty_header() -> None:
    assert not verify_signature(BODY, None, [SECRET])
    assert not verify_signature(BODY, "", [SECRET])


def test_it_rejects_when_no_secret_is_configured() -> None:
    assert not verify_signature(BODY, sign(BODY, SECRET), [])
    assert not verify_signature(BODY, sign(BODY, ""), [""])


def test_it_accepts_either_signature_during_rotation() -> None:
    header = f"{sign(BODY, OLD_SECRET)},{sign(BODY, SECRET)}"

    assert verify_signature(BODY, header, [SECRET])
    assert verify_signature(BODY, header, [OLD_SECRET])
    assert verify_signature(BODY, header, ["unrelated", OLD_SECRET])
    assert not verify_signature(BODY, header, ["unrelated"])


def test_it_accepts_any_of_our_secrets() -> None:
    assert verify_signature(BODY, sign(BODY, OLD_SECRET), [SECRET, OLD_SECRET])


def test_it_ignores_entries_that_are_not_v1() -> None:
    digest = sign(BODY, SECRET).removeprefix("v1=")

    assert not verify_signature(BODY, f"v0={digest}", [SECRET])
    assert not verify_signature(BODY, digest, [SECRET])
    assert verify_signature(BODY, f"v2=abc, v1={digest}", [SECRET])


def test_it_survives_non_ascii_garbage_in_the_header() -> None:
    assert not verify_signature(BODY, "v1=ünïcödé", [SECRET])
