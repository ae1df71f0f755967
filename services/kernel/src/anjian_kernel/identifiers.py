"""Identifiers with check characters: the unified social credit code (GB 32100-2015).

The whole suite checks credit codes here and nowhere else.
"""

import hashlib
import re

from google.protobuf.message import Message

from anjian_kernel.errors import FieldViolation, InvalidArgument

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(_ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORGANISATION_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_RESIDENT_ID_CHECK = "10X98765432"


class CreditCodeError(ValueError):
    """A string is not a valid unified social credit code; the message says why."""


def normalise_credit_code(raw: str) -> str:
    """The canonical form: surrounding whitespace removed, upper case."""
    return raw.strip().upper()


def credit_code_check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]


def _is_resident_id(code: str) -> bool:
    """Whether `code` passes the GB 11643 check of a resident identity number."""
    if not _RESIDENT_ID.match(code):
        return False
    total = sum(
        int(char) * weight for char, weight in zip(code[:17], _RESIDENT_ID_WEIGHTS, strict=True)
    )
    return _RESIDENT_ID_CHECK[total % 11] == code[17]


def _organisation_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(
        int(char, 36) * weight for char, weight in zip(body, _ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def compose_credit_code(prefix: str, division: str, organisation: str) -> str:
    """A valid code from its parts: authority and type (2), division (6), organisation body (8).

    Used to make test and demo enterprises; check characters are computed, never typed.
    """
    body = f"{prefix}{division}{organisation}{_organisation_check(organisation)}"
    return body + credit_code_check_character(body)


def _organisation_code_valid(code: str) -> bool:
    """GB 11714 check of positions 9-17 (8 characters plus check, mod 11)."""
    try:
        return _organisation_check(code[:8]) == code[8]
    except ValueError:
        return False


def _credit_code_problem(code: str) -> str | None:
    """Why an 18-character string fails the GB 32100 checks, or None if it passes them."""
    outside = sorted({char for char in code if char not in _VALUE})
    if outside:
        return (
            f"characters {' '.join(outside)} are outside the credit-code alphabet "
            "(digits and capitals except I, O, S, V, Z)"
        )
    if credit_code_check_character(code[:17]) != code[17]:
        return "wrong check character"
    if not _organisation_code_valid(code[8:17]):
        return "the embedded organisation code (positions 9-17) fails its check"
    return None


def validate_credit_code(raw: str) -> str:
    """The normalised code if it passes every GB 32100 check, else CreditCodeError saying why."""
    code = normalise_credit_code(raw)
    if len(code) != 18:
        raise CreditCodeError(f"must be 18 characters, got {len(code)}")
    problem = _credit_code_problem(code)
    if problem is None:
        return code
    # Some valid all-digit credit codes also pass the ID-number check, so only a code
    # that fails its own checks is called an ID number.
    if _is_resident_id(code):
        raise CreditCodeError("this is a resident ID number, not a credit code")
    raise CreditCodeError(problem)


def is_valid_credit_code(raw: str) -> bool:
    """Whether `raw` normalises to a valid unified social credit code."""
    try:
        validate_credit_code(raw)
    except CreditCodeError:
        return False
    return True


def is_legacy_credit_code(raw: str) -> bool:
    """Whether `raw` has a credit code's shape (18 characters of its alphabet) but fails the
    check characters, as some codes issued before 2016 do; a resident ID number is not one.

    Only records imported from the registration authority may carry such a code.
    """
    code = normalise_credit_code(raw)
    if len(code) != 18 or any(char not in _VALUE for char in code):
        return False
    return not is_valid_credit_code(code) and not _is_resident_id(code)


def is_resident_id_number(raw: str) -> bool:
    """Whether `raw` (normalised) passes the GB 11643 check of a resident identity number."""
    return _is_resident_id(normalise_credit_code(raw))


def request_fingerprint(request: Message) -> str:
    """A digest of a request's content, to tell a retry from a reused request id.

    A retry sends the same request again; a request id reused for a different request
    must be refused, not answered with the first request's result.
    """
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


REUSED_REQUEST_ID = "was already used for a different request; use a new request id"


def reused_request_id() -> InvalidArgument:
    """The refusal of a request id that an earlier, different request used."""
    return InvalidArgument([FieldViolation("request_id", REUSED_REQUEST_ID)])


def check_replay(stored: str | None, fingerprint: str) -> None:
    """Refuse a replayed request_id unless the stored fingerprint is this request's.

    Checked before anything else about the stored result, so that whoever reuses another
    caller's request id learns nothing about that caller's request. Rows written before
    fingerprints were kept have none: they are taken for a retry, since nothing tells
    them apart.
    """
    if stored is not None and stored != fingerprint:
        raise reused_request_id()
