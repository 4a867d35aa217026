"""Signed values read before Flask (app.security.loads_timed, read_session_cookie): a value verified
once is not verified again, but its age is, by itsdangerous's rule; anything not signed by us, or
too old, or signed in the future, is refused as before."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app import security


@pytest.fixture(autouse=True)
def forget(monkeypatch):
    monkeypatch.setattr(security, "_VERIFIED", {})


def serializer(secret="s3cret"):
    return lambda: URLSafeTimedSerializer(secret, salt="test")


def test_a_value_is_verified_once_then_only_its_age_is_checked(clock):
    token = serializer()().dumps("payload")
    calls = []

    def counted():
        calls.append(1)
        return serializer()()

    assert security.loads_timed(counted, ("test", "s3cret"), token, 60) == "payload"
    assert security.loads_timed(counted, ("test", "s3cret"), token, 60) == "payload"
    assert calls == [1]
    clock.shift(timedelta(seconds=61))
    with pytest.raises(SignatureExpired):
        security.loads_timed(counted, ("test", "s3cret"), token, 60)
    assert security.loads_timed(counted, ("test", "s3cret"), token, None) == "payload"  # no limit


def test_a_value_signed_in_the_future_is_refused_even_once_verified(clock):
    ahead = timedelta(seconds=10)
    clock.shift(ahead)  # signed by a process whose clock is ahead
    token = serializer()().dumps("payload")
    clock.shift(-ahead)
    with pytest.raises(SignatureExpired):
        security.loads_timed(serializer(), ("test", "s3cret"), token, 60)
    clock.shift(ahead)
    assert security.loads_timed(serializer(), ("test", "s3cret"), token, 60) == "payload"
    clock.shift(-ahead)
    with pytest.raises(SignatureExpired):  # kept, but its age is still checked
        security.loads_timed(serializer(), ("test", "s3cret"), token, 60)


def test_a_tampered_or_foreign_value_is_refused(clock):
    token = serializer()().dumps("payload")
    with pytest.raises(BadSignature):
        security.loads_timed(serializer(), ("test", "s3cret"), token[:-2] + "xx", 60)
    assert security.loads_timed(serializer("s3cret"), ("test", "s3cret"), token, 60) == "payload"
    with pytest.raises(BadSignature):  # verified under one secret, never taken under another
        security.loads_timed(serializer("other"), ("test", "other"), token, 60)


def test_the_memory_is_bounded(monkeypatch, clock):
    monkeypatch.setattr(security, "VERIFIED_KEPT", 3)
    for n in range(7):
        security.loads_timed(serializer(), ("test", "s3cret"), serializer()().dumps(n), 60)
        assert len(security._VERIFIED) <= 3


def test_the_session_cookie_is_read_as_flask_reads_it(app, client, clock):
    cookie = app.session_interface.get_signing_serializer(app).dumps({"_user_id": "7:1", "lang": "fr"})
    data = security.read_session_cookie(app, cookie)
    assert data == {"_user_id": "7:1", "lang": "fr"}
    data["_user_id"] = "8:1"  # a caller's change is its own
    assert security.read_session_cookie(app, cookie)["_user_id"] == "7:1"
    assert security.read_session_cookie(app, cookie[:-3] + "abc") is None
    clock.shift(app.permanent_session_lifetime + timedelta(seconds=1))
    assert security.read_session_cookie(app, cookie) is None
