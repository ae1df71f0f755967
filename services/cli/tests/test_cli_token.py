"""`anjian token` prints tokens that the services' verifier accepts, with the asked scope."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from anjian_cli.main import app
from anjian_cli.secret import load_or_create_secret, secret_path
from anjian_kernel.auth import Role, verify_token
from anjian_kernel.identifiers import compose_credit_code

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with a token secret, and no secret in the environment."""
    monkeypatch.delenv("ANJIAN_TOKEN_SECRET", raising=False)
    load_or_create_secret(tmp_path)
    return tmp_path


def test_token_verifies_with_the_data_dir_secret(data_dir: Path) -> None:
    result = runner.invoke(app, ["token", "--role", "inspector", "--data-dir", str(data_dir)])

    assert result.exit_code == 0, result.output
    secret = secret_path(data_dir).read_text().strip()
    principal = verify_token(secret, result.stdout.strip())
    assert principal.tenant == "530100"
    assert principal.role is Role.INSPECTOR
    assert principal.county is None


def test_secret_file_is_private_and_reused(data_dir: Path) -> None:
    assert secret_path(data_dir).stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(data_dir) == secret_path(data_dir).read_text().strip()


def test_county_and_enterprise_scope_reach_the_token(data_dir: Path) -> None:
    code = compose_credit_code("91", "530102", "MA6K0001")
    args = ["token", "--role", "enterprise", "--county", "530102", "--enterprise", code.lower()]

    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])

    assert result.exit_code == 0, result.output
    secret = secret_path(data_dir).read_text().strip()
    principal = verify_token(secret, result.stdout.strip())
    assert (principal.role, principal.county, principal.enterprise) == (
        Role.ENTERPRISE,
        "530102",
        code,
    )


def test_environment_secret_wins(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIAN_TOKEN_SECRET", "an-environment-secret-of-more-than-32-bytes")

    result = runner.invoke(app, ["token", "--data-dir", str(data_dir)])

    assert result.exit_code == 0, result.output
    verify_token("an-environment-secret-of-more-than-32-bytes", result.stdout.strip())


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--county", "530302"], "not a county of 530100"),
        (["--tenant", "110000"], "not a Yunnan prefecture"),
        (["--role", "enterprise"], "must name its enterprise"),
        (["--role", "enterprise", "--enterprise", "914403001922038217"], "check character"),
    ],
)
def test_bad_scope_is_refused(data_dir: Path, args: list[str], complaint: str) -> None:
    result = runner.invoke(app, ["token", *args, "--data-dir", str(data_dir)])

    assert result.exit_code == 2
    assert complaint in " ".join(result.output.split())


def test_missing_secret_says_to_run_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANJIAN_TOKEN_SECRET", raising=False)

    result = runner.invoke(app, ["token", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "anjian up" in result.output


def test_a_lifetime_beyond_ten_years_is_a_usage_error(data_dir: Path) -> None:
    result = runner.invoke(app, ["token", "--hours", "999999999", "--data-dir", str(data_dir)])

    assert result.exit_code == 2
    assert "--hours" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
