"""Case credit-code-checksum: the GB 32100 checksum decides, not the shape of the string."""

import random

import pytest

from anjian_kernel.identifiers import (
    CreditCodeError,
    compose_credit_code,
    credit_code_check_character,
    is_valid_credit_code,
    validate_credit_code,
)

# Every row of /work/shared/cases/credit-code-checksum.md: input, and None for valid or
# a fragment of the reason the rejection must give.
CASES = [
    ("914403001922038216", None),
    ("9144030071526726XG", None),
    ("915301001000002350", None),
    ("915301001000002351", "wrong check character"),
    ("111111111111111111", "wrong check character"),
    ("11010519491231002X", "resident ID number"),
    ("91530100MA6NIO1X2S", "I O S are outside the credit-code alphabet"),
    (" 914403001922038216", None),
    ("9144030071526726xg", None),
]

# The credit-code alphabet: digits and capitals except I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize(("raw", "reason"), CASES, ids=[raw.strip() for raw, _ in CASES])
def test_credit_code_checksum(raw: str, reason: str | None) -> None:
    if reason is None:
        assert validate_credit_code(raw) == raw.strip().upper()
        assert is_valid_credit_code(raw)
    else:
        with pytest.raises(CreditCodeError, match=reason):
            validate_credit_code(raw)
        assert not is_valid_credit_code(raw)


@pytest.mark.parametrize(
    "variant",
    [" 9144030071526726XG", "9144030071526726XG\t", "9144030071526726xg", " 9144030071526726Xg\n"],
)
def test_whitespace_and_lower_case_normalise_to_one_enterprise(variant: str) -> None:
    assert validate_credit_code(variant) == "9144030071526726XG"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "must be 18 characters, got 0"), ("91440300192203821", "got 17")],
)
def test_a_code_of_the_wrong_length_is_refused_with_its_length(raw: str, reason: str) -> None:
    with pytest.raises(CreditCodeError, match=reason):
        validate_credit_code(raw)


def test_a_bad_embedded_organisation_code_is_refused_even_with_a_right_check_character() -> None:
    # Organisation body 19220382 has the GB 11714 check 1; 0 is wrong, and the
    # 18th character is recomputed so only the embedded check fails.
    wrong_organisation = "9144030019220382" + "0"
    code = wrong_organisation + credit_code_check_character(wrong_organisation)
    with pytest.raises(CreditCodeError, match="organisation code"):
        validate_credit_code(code)


def test_composed_codes_are_valid_for_many_random_bodies() -> None:
    rng = random.Random(32100)
    for _ in range(20_000):
        prefix = rng.choice(["91", "92", "93", "11", "12", "51", "52", "Y1"])
        division = rng.choice(["530102", "530302", "532301", "533102", "440300"])
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
        code = compose_credit_code(prefix, division, body)
        assert validate_credit_code(code) == code, code


def test_all_digit_codes_that_also_pass_the_id_number_check_stay_valid() -> None:
    # 915301020924220311 is a composed, valid credit code whose digits happen to pass the
    # resident ID check too; before the fix it was refused as an ID number.
    code = compose_credit_code("91", "530102", "09242203")
    assert code == "915301020924220311"
    assert validate_credit_code(code) == code
