"""The benchmark's baseline: a bare gRPC servicer that does one INSERT per call.

It takes the same `ReportHazardRequest` and answers the same `Hazard` message as
HazardService.ReportHazard, over the same stack (grpc.aio, SQLAlchemy async on
asyncpg, a pool of the same size), so the difference the benchmark measures is what
the service adds: authentication, validation, the likely-duplicate lookup, the audit
record, the outbox row and the relay that publishes it.

Run as its own process: `python bench/bare_server.py --database-url URL --port PORT`.
"""

import argparse
import asyncio
import signal
import uuid
from datetime import UTC, datetime

import grpc
import uvloop
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from anjian.hazard.v1 import hazard_pb2

METHOD = "/anjian.bench.v1.BareService/ReportHazard"
SCHEMA = "bench"

metadata = MetaData(schema=SCHEMA)
reports = Table(
    "bare_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    Column("enterprise_credit_code", String(18), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("industry", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class BareServicer:
    """One unary method: insert the reported hazard, answer it with a name and a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def report(
        self, request: hazard_pb2.ReportHazardRequest, context: grpc.aio.ServicerContext
    ) -> hazard_pb2.Hazard:
        """Store the request's hazard in one INSERT and return it as the service would."""
        hazard = request.hazard
        hazard_id = uuid.uuid4()
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            await connection.execute(
                reports.insert().values(
                    id=hazard_id,
                    request_id=request.request_id or None,
                    enterprise_credit_code=hazard.enterprise_credit_code,
                    county_code=hazard.county_code,
                    title=hazard.title,
                    description=hazard.description,
                    location=hazard.location,
                    industry=hazard.industry,
                    created_at=now,
                )
            )
        reply = hazard_pb2.Hazard()
        reply.CopyFrom(hazard)
        reply.name = f"{request.parent}/hazards/{hazard_id}"
        reply.state = hazard_pb2.HAZARD_STATE_REPORTED
        reply.create_time.FromDatetime(now)
        reply.update_time.FromDatetime(now)
        reply.version = 1
        reply.etag = "1"
        return reply


def handler(servicer: BareServicer) -> grpc.GenericRpcHandler:
    """The servicer's one method under METHOD, with the hazard API's message types."""
    method = grpc.unary_unary_rpc_method_handler(
        servicer.report,
        request_deserializer=hazard_pb2.ReportHazardRequest.FromString,
        response_serializer=hazard_pb2.Hazard.SerializeToString,
    )
    service, name = METHOD.strip("/").split("/")
    return grpc.method_handlers_generic_handler(service, {name: method})


async def serve(database_url: str, port: int, pool_size: int) -> None:
    """Create the table, serve until SIGTERM or SIGINT, then stop and close the pool."""
    # The pool is configured exactly as anjian_kernel.database configures a tenant's engine.
    engine = create_async_engine(
        database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await connection.run_sync(metadata.create_all)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handler(BareServicer(engine))])
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await server.stop(2)
    await engine.dispose()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args()
    # The service's event loop (anjian_kernel.server.run), so both stand on the same runtime.
    uvloop.run(serve(args.database_url, args.port, args.pool_size))


if __name__ == "__main__":
    main()
