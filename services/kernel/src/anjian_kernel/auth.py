"""Caller identity: signed tokens naming a tenant, a role and an optional scope.

Every call carries `authorization: Bearer <token>`. The tenant a call works on
comes from the verified token only, never from a request field.
"""

import contextvars
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from anjian_kernel.errors import PermissionDenied, Unauthenticated, is_unprintable
from anjian_kernel.tenancy import YUNNAN_PREFECTURES, prefecture_of_county

_ALGORITHM = "HS256"
_AUDIENCE = "anjian"
MAX_TOKEN_LIFETIME = timedelta(days=90)
"""The longest a token may be valid from its issue, unless a deployment sets another."""


class Role(StrEnum):
    """What a caller may do."""

    ENTERPRISE = "enterprise"
    """An enterprise's safety officer: reports and rectifies its own enterprise's hazards."""
    INSPECTOR = "inspector"
    """A county or prefecture inspector: grades, reviews, closes, supervises."""
    ADMIN = "admin"
    """A tenant administrator: everything an inspector may, plus operations."""
    PARTNER = "partner"
    """A partner agency's system: reads what the rules let it read."""


@dataclass(frozen=True)
class Principal:
    """The verified caller of one call."""

    subject: str
    tenant: str
    role: Role
    county: str | None = None
    enterprise: str | None = None

    def require(self, *roles: Role) -> None:
        """Refuse the call unless the caller has one of `roles`."""
        if self.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise PermissionDenied(f"role {self.role.value} may not do this (needs {allowed})")

    def may_see_county(self, county: str) -> bool:
        """Whether a county-scoped caller's scope covers `county`."""
        return self.county is None or self.county == county

    def may_act_for(self, enterprise: str) -> bool:
        """Whether an enterprise caller acts for `enterprise` (others are not bound to one)."""
        return self.role is not Role.ENTERPRISE or self.enterprise == enterprise


def issue_token(secret: str, principal: Principal, ttl: timedelta = timedelta(hours=12)) -> str:
    """Sign a token for `principal`, valid for `ttl`."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": principal.subject,
        "aud": _AUDIENCE,
        "tenant": principal.tenant,
        "role": principal.role.value,
        "iat": now,
        "exp": now + ttl,
    }
    if principal.county:
        claims["county"] = principal.county
    if principal.enterprise:
        claims["enterprise"] = principal.enterprise
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(
    secret: str, token: str, max_lifetime: timedelta = MAX_TOKEN_LIFETIME
) -> Principal:
    """The principal a token names, or Unauthenticated if it is invalid or expired.

    A token issued to be valid for longer than `max_lifetime` is refused too: a leaked
    token must not work for years.
    """
    return _verify(secret, token, max_lifetime)[0]


def _verify(secret: str, token: str, max_lifetime: timedelta) -> tuple[Principal, float]:
    """The principal a token names and when the token expires (epoch seconds)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "iat", "exp", "tenant", "role"]},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError) as error:
        raise Unauthenticated(f"invalid token: {error}") from error
    if not all(isinstance(claims[name], int | float) for name in ("iat", "exp")):
        raise Unauthenticated("invalid token: iat and exp must be numbers")
    texts = [claims["sub"], claims.get("county"), claims.get("enterprise")]
    if any(isinstance(text, str) and is_unprintable(text) for text in texts):
        raise Unauthenticated("token claims contain a control character")
    if claims["exp"] - claims["iat"] > max_lifetime.total_seconds():
        hours = max_lifetime.total_seconds() / 3600
        raise Unauthenticated(f"token is valid for longer than {hours:g} hours after its issue")

    if not str(claims["sub"]).strip():
        raise Unauthenticated("token names no subject: every change is audited to one")
    tenant = str(claims["tenant"])
    if tenant not in YUNNAN_PREFECTURES:
        raise Unauthenticated("token names no Yunnan prefecture as tenant")
    county = claims.get("county")
    if county is not None and prefecture_of_county(str(county)) != tenant:
        raise Unauthenticated("token's county scope is not a county of its tenant")
    enterprise = claims.get("enterprise")
    if role is Role.ENTERPRISE and not enterprise:
        raise Unauthenticated("an enterprise token must name its enterprise")
    principal = Principal(
        subject=str(claims["sub"]),
        tenant=tenant,
        role=role,
        county=str(county) if county else None,
        enterprise=str(enterprise) if enterprise else None,
    )
    return principal, float(claims["exp"])


class TokenVerifier:
    """Verifies tokens, remembering each verified one until it expires.

    A caller sends the same token with every call; checking its signature once instead
    of every time saves a noticeable share of a busy service's CPU.
    """

    def __init__(
        self, secret: str, max_lifetime: timedelta = MAX_TOKEN_LIFETIME, capacity: int = 10_000
    ) -> None:
        self._secret = secret
        self._max_lifetime = max_lifetime
        self._capacity = capacity
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        """The principal a token names, or Unauthenticated if it is invalid or expired."""
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > time.time():
            return remembered[0]
        principal, expires = _verify(self._secret, token, self._max_lifetime)
        if len(self._verified) >= self._capacity:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal


_current: contextvars.ContextVar[Principal] = contextvars.ContextVar("anjian_principal")


def current_principal() -> Principal:
    """The verified caller of the call being served."""
    try:
        return _current.get()
    except LookupError as error:
        raise Unauthenticated("no verified caller for this call") from error


def bind_principal(principal: Principal) -> contextvars.Token[Principal]:
    """Make `principal` the caller for the rest of this call's context."""
    return _current.set(principal)


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The bearer token in call metadata, or Unauthenticated."""
    for key, value in metadata or ():
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    raise Unauthenticated("missing `authorization: Bearer <token>` metadata")
