"""Fixtures shared by every test: a real PostgreSQL and a real NATS JetStream server.

Both come from their wheels (see anjian_cli.embedded), run once per session on free ports
in temporary directories, and stop when the session ends.
"""

from collections.abc import Iterator

import pytest

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A started PostgreSQL server tuned for speed (no fsync); superuser `postgres`."""
    with EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "data", fast=True) as server:
        yield server


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """A started NATS server with JetStream enabled."""
    with EmbeddedNats(tmp_path_factory.mktemp("nats") / "store") as server:
        yield server
