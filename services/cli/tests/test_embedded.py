"""The embedded servers start for real, take connections, keep data across restarts."""

import asyncio
import socket
from pathlib import Path

import asyncpg
import nats
import pytest

from anjian_cli.embedded import (
    MAX_SOCKET_PATH,
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedServerError,
    free_port,
)


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


async def test_session_postgres_answers_and_creates_databases(postgres: EmbeddedPostgres) -> None:
    assert postgres.url == f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/postgres"
    connection = await asyncpg.connect(postgres.dsn)
    try:
        assert await connection.fetchval("SELECT 1") == 1
        assert await connection.fetchval("SHOW fsync") == "off"
        assert await connection.fetchval("SHOW max_connections") == "200"
        await connection.execute("CREATE DATABASE tenant_5301")
    finally:
        await connection.close()

    tenant = await asyncpg.connect(postgres.dsn.rsplit("/", 1)[0] + "/tenant_5301")
    try:
        assert await tenant.fetchval("SELECT current_database()") == "tenant_5301"
    finally:
        await tenant.close()


@pytest.mark.slow
async def test_postgres_data_survives_restart(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data")
    with server:
        connection = await asyncpg.connect(server.dsn)
        await connection.execute("CREATE TABLE hazard (id int PRIMARY KEY)")
        await connection.execute("INSERT INTO hazard VALUES (7)")
        await connection.close()
    assert not server.running

    with server:
        connection = await asyncpg.connect(server.dsn)
        assert await connection.fetchval("SELECT id FROM hazard") == 7
        assert await connection.fetchval("SHOW fsync") == "on"
        await connection.close()


@pytest.mark.slow
async def test_postgres_with_a_long_data_path_puts_its_socket_elsewhere(tmp_path: Path) -> None:
    data_dir = tmp_path / ("d" * MAX_SOCKET_PATH) / "data"
    with EmbeddedPostgres(data_dir, fast=True) as server:
        connection = await asyncpg.connect(server.dsn)
        socket_dir = await connection.fetchval("SHOW unix_socket_directories")
        await connection.close()
    assert not socket_dir.startswith(str(tmp_path))
    assert not await asyncio.to_thread(Path(socket_dir).exists)


def test_postgres_that_cannot_bind_reports_its_log(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = EmbeddedPostgres(tmp_path / "data", port=taken.getsockname()[1], fast=True)
        with pytest.raises(EmbeddedServerError, match="could not"):
            server.start()
    assert not server.running


async def test_session_nats_has_jetstream(nats_server: EmbeddedNats) -> None:
    client = await nats.connect(nats_server.url)
    try:
        info = await client.jetstream().account_info()
        assert info.limits is not None
    finally:
        await client.close()


@pytest.mark.slow
async def test_nats_keeps_messages_across_a_restart_on_the_same_port(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "store").start()
    port = server.port
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    client = await nats.connect(
        server.url,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        reconnected_cb=on_reconnect,
    )
    try:
        jetstream = client.jetstream()
        await jetstream.add_stream(name="HAZARD", subjects=["anjian.5301.hazard.>"])
        ack = await jetstream.publish(
            "anjian.5301.hazard.reported", b"h-1", headers={"Nats-Msg-Id": "event-1"}
        )
        assert ack.seq == 1

        server.stop()
        server.start()
        assert server.port == port
        await asyncio.wait_for(reconnected.wait(), timeout=10)

        message = await jetstream.get_msg("HAZARD", seq=1)
        assert message.data == b"h-1"
        duplicate = await jetstream.publish(
            "anjian.5301.hazard.reported", b"h-1", headers={"Nats-Msg-Id": "event-1"}
        )
        assert duplicate.duplicate
    finally:
        await client.close()
        server.stop()
