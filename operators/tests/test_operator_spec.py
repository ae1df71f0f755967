"""Unit checks of the spec, names and NATS account blocks: no cluster needed."""

import pytest

from anjian_operator.nats_accounts import account_block, hash_password, password_matches
from anjian_operator.prefecture import InvalidSpecError, NatsSpec, TenantNames, parse_spec
from anjian_operator.quantity import to_bytes


@pytest.mark.parametrize("code", ["530100", "532300", "533400"])
def test_accepts_yunnan_prefectures(code: str) -> None:
    assert parse_spec({"code": code}).code == code


@pytest.mark.parametrize("code", ["530200", "110100", "5301", "530102"])
def test_rejects_codes_outside_yunnan_prefectures(code: str) -> None:
    with pytest.raises(InvalidSpecError, match=r"spec\.code"):
        parse_spec({"code": code})


def test_reports_every_problem_at_once() -> None:
    with pytest.raises(InvalidSpecError) as caught:
        parse_spec({"code": "999999", "services": ["hazard", "casino"], "retention": "Shred"})
    message = str(caught.value)
    assert "spec.code" in message
    assert "casino" in message
    assert "spec.retention" in message


def test_spec_defaults_keep_data() -> None:
    spec = parse_spec({"code": "530100"})
    assert spec.retention.value == "Retain"
    assert spec.services == ["credit", "gateway", "hazard"]


def test_names_derive_from_the_code() -> None:
    names = TenantNames("530300")
    assert names.namespace == "anjian-530300"
    assert names.database == names.role == "anjian_530300"
    assert names.stream == "ANJIAN_530300"
    assert names.subjects == "anjian.530300.>"


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("1Gi", 2**30), ("64Mi", 64 * 2**20), ("500M", 500 * 10**6), ("1.5Ki", 1536), ("7", 7)],
)
def test_quantities(quantity: str, expected: int) -> None:
    assert to_bytes(quantity) == expected


def test_account_block_binds_user_to_tenant_subjects() -> None:
    hashed = hash_password("s3cret")
    block = account_block(TenantNames("530100"), hashed, NatsSpec())
    assert block.startswith("ANJIAN_530100: {")
    assert '"anjian.530100.>"' in block
    assert "anjian.530300" not in block
    assert "s3cret" not in block
    assert password_matches("s3cret", hashed)
    assert not password_matches("other", hashed)
