"""The secret that signs caller tokens on a local stack.

One rule for every command: `ANJIAN_TOKEN_SECRET` when it is set, else the file
`<data-dir>/token-secret`, which `anjian up` creates (mode 0600) on first run and reuses
after, so tokens issued yesterday still verify today.
"""

import os
import secrets
from pathlib import Path

SECRET_FILE = "token-secret"  # noqa: S105 - a file name, not a secret
SECRET_VARIABLE = "ANJIAN_TOKEN_SECRET"  # noqa: S105 - a variable name
MIN_SECRET_BYTES = 32


class SecretError(RuntimeError):
    """No usable token secret; the message says where one was looked for."""


def secret_path(data_dir: Path) -> Path:
    """Where a data directory keeps its token secret."""
    return data_dir / SECRET_FILE


def load_secret(data_dir: Path) -> str:
    """The secret from the environment or the data directory; never creates one."""
    from_environment = os.environ.get(SECRET_VARIABLE)
    if from_environment:
        return _checked(from_environment, SECRET_VARIABLE)
    path = secret_path(data_dir)
    try:
        return _checked(path.read_text().strip(), str(path))
    except FileNotFoundError:
        raise SecretError(
            f"no token secret: {SECRET_VARIABLE} is not set and {path} does not exist; "
            "run `anjian up` (with the same --data-dir) first"
        ) from None


def load_or_create_secret(data_dir: Path) -> str:
    """The secret from the environment or the data directory, creating the file if missing."""
    if os.environ.get(SECRET_VARIABLE) or secret_path(data_dir).exists():
        return load_secret(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two commands starting at once must not each write a different secret.
    try:
        descriptor = os.open(secret_path(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_secret(data_dir)
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    return value


def _checked(value: str, source: str) -> str:
    """The secret if it is long enough for HS256, else SecretError naming its source."""
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SecretError(f"the token secret in {source} is shorter than {MIN_SECRET_BYTES} bytes")
    return value
