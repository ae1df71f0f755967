"""The secrets of a local stack: the token-signing secret and the salt for personal keys.

One rule for each: its environment variable when it is set, else a file in the data
directory, which `anjian up` creates (mode 0600) on first run and reuses after, so tokens
issued yesterday still verify today and a person's key stays the same across restarts.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class SecretError(RuntimeError):
    """No usable secret; the message says where one was looked for."""


@dataclass(frozen=True)
class LocalSecret:
    """A secret kept in a data directory unless the environment gives it."""

    file: str
    variable: str
    min_bytes: int
    what: str

    def path(self, data_dir: Path) -> Path:
        """Where a data directory keeps it."""
        return data_dir / self.file

    def load(self, data_dir: Path) -> str:
        """The value from the environment or the data directory; never creates one."""
        from_environment = os.environ.get(self.variable)
        if from_environment:
            return self._checked(from_environment, self.variable)
        path = self.path(data_dir)
        try:
            return self._checked(path.read_text().strip(), str(path))
        except FileNotFoundError:
            raise SecretError(
                f"no {self.what}: {self.variable} is not set and {path} does not exist; "
                "run `anjian up` (with the same --data-dir) first"
            ) from None

    def load_or_create(self, data_dir: Path) -> str:
        """The value from the environment or the data directory, creating the file if missing."""
        if os.environ.get(self.variable) or self.path(data_dir).exists():
            return self.load(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # O_EXCL: two commands starting at once must not each write a different value.
        try:
            descriptor = os.open(self.path(data_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.load(data_dir)
        with os.fdopen(descriptor, "w") as file:
            file.write(value + "\n")
        return value

    def _checked(self, value: str, source: str) -> str:
        if len(value.encode()) < self.min_bytes:
            raise SecretError(f"the {self.what} in {source} is shorter than {self.min_bytes} bytes")
        return value


TOKEN_SECRET = LocalSecret("token-secret", "ANJIAN_TOKEN_SECRET", 32, "token secret")
PERSON_KEY_SALT = LocalSecret("person-key-salt", "ANJIAN_PERSON_KEY_SALT", 16, "person-key salt")


def secret_path(data_dir: Path) -> Path:
    """Where a data directory keeps its token secret."""
    return TOKEN_SECRET.path(data_dir)


def load_secret(data_dir: Path) -> str:
    """The token secret from the environment or the data directory; never creates one."""
    return TOKEN_SECRET.load(data_dir)


def load_or_create_secret(data_dir: Path) -> str:
    """The token secret, creating the data directory's file if missing."""
    return TOKEN_SECRET.load_or_create(data_dir)
