"""The credit service refuses a person-key salt that would make the keys guessable."""

import pytest
from pydantic import ValidationError

from anjian_credit.main import CreditSettings

SECRET = "credit-settings-test-token-secret-32+"


@pytest.mark.parametrize("salt", ["", "fifteen-chars!!", " " * 16, "  fifteen-chars!!  "])
def test_a_salt_under_16_real_characters_is_refused(salt: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CreditSettings(token_secret=SECRET, person_key_salt=salt)
    assert refused.value.errors()[0]["loc"] == ("person_key_salt",)


def test_a_salt_of_16_characters_is_taken() -> None:
    settings = CreditSettings(token_secret=SECRET, person_key_salt="sixteen-chars!!!")
    assert settings.person_key_salt.get_secret_value() == "sixteen-chars!!!"
