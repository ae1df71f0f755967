"""The token verifier remembers verified tokens, but never past their expiry."""

import time
from datetime import timedelta

import pytest

from anjian_kernel.auth import Principal, Role, TokenVerifier, issue_token
from anjian_kernel.errors import Unauthenticated

SECRET = "a-token-secret-of-at-least-thirty-two-bytes"
CALLER = Principal(subject="inspector-1", tenant="530100", role=Role.INSPECTOR)


def test_a_remembered_token_still_expires() -> None:
    verifier = TokenVerifier(SECRET)
    token = issue_token(SECRET, CALLER, ttl=timedelta(seconds=1))

    assert verifier.verify(token) == CALLER
    assert verifier.verify(token) == CALLER
    time.sleep(1.1)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_token_signed_with_another_secret_is_never_remembered() -> None:
    verifier = TokenVerifier(SECRET)
    forged = issue_token("another-secret-of-at-least-thirty-two-bytes", CALLER)

    for _ in range(2):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged)


def test_the_memory_is_bounded() -> None:
    verifier = TokenVerifier(SECRET, capacity=3)
    tokens = [issue_token(SECRET, Principal(f"s{i}", "530100", Role.ADMIN)) for i in range(7)]

    assert [verifier.verify(t).subject for t in tokens] == [f"s{i}" for i in range(7)]
    assert len(verifier._verified) <= 3
