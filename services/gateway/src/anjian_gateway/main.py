"""Entry point of the gateway process (`anjian-gateway`) and the app factory."""

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
import uvicorn
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from anjian_gateway import credit, hazards, health, public, public_page, selfinspection
from anjian_gateway.errors import Refusal, refusal_response, validation_response
from anjian_gateway.limits import BodyLimit
from anjian_gateway.settings import GatewaySettings
from anjian_gateway.tracing import instrument_app, setup_tracing
from anjian_gateway.upstream import CreditUpstream, HazardUpstream
from anjian_kernel.logs import setup_logging

DESCRIPTION = """
HTTP/JSON over Anjian's gRPC APIs for browsers and simple clients.

* **hazards**: the closed loop of a hazard (隐患排查治理): report, grade, rectify,
  re-inspect, accept, close (排查、整改、复查、验收、销号), with listed supervision
  (挂牌督办) of major hazards and a full audit trail.
* **self-inspection**: enterprises' own checklists (一企一标准) and monthly
  self-inspection returns (企业自查月度申报).
* **credit**: the enterprise register, credit records and scores, the
  serious-dishonesty list (严重失信主体名单) with credit repair (信用修复), and bans.
* **public**: the anonymous credit query (also as the page `/public/credit`) and the
  change feed partner credit platforms pull.

Every `/v1` call needs `Authorization: Bearer <token>`, a token issued for the
caller's prefecture (州/市); the services verify it. The public query alone needs
none. Bad input is answered 422 with one entry per bad field, whether FastAPI or the
service found it.
"""


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway app; its channels to the services open and close with its lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        deadline = settings.call_deadline_seconds
        app.state.upstream = HazardUpstream(settings.hazard_address, deadline)
        app.state.credit = CreditUpstream(settings.credit_address, deadline)
        try:
            yield
        finally:
            await app.state.credit.close()
            await app.state.upstream.close()

    app = FastAPI(
        title="Anjian gateway",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "hazards", "description": "事故隐患 and their closed loop."},
            {"name": "self-inspection", "description": "企业自查: checklists and returns."},
            {"name": "credit", "description": "信用: register, records, list, repair, bans."},
            {"name": "public", "description": "公开查询 (anonymous) and the partners' feed."},
            {"name": "health", "description": "Probes for the orchestrator."},
        ],
    )
    app.state.settings = settings
    app.add_exception_handler(Refusal, refusal_response)
    app.add_exception_handler(RequestValidationError, validation_response)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(hazards.router)
    app.include_router(selfinspection.router)
    app.include_router(credit.router)
    app.include_router(public.router)
    app.include_router(public_page.router)
    app.include_router(health.router)
    instrument_app(app)
    return app


def main() -> None:
    """Serve HTTP until SIGTERM (uvicorn finishes requests in flight, then the lifespan ends)."""
    try:
        settings = GatewaySettings()
    except ValidationError as error:
        for problem in error.errors():
            variable = "ANJIAN_" + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"anjian-gateway: {variable}: {problem['msg']}", file=sys.stderr)
        sys.exit(2)
    setup_logging(settings.log_level, settings.log_format, "gateway")
    _uvicorn_logs_through_structlog(settings.log_level)
    setup_tracing(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )


class _ToStructlog(logging.Handler):
    """Hands standard-library records to structlog, so they come out as the services' do."""

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, object] = {"logger": record.name}
        if record.exc_info:
            fields["exc_info"] = record.exc_info
        structlog.get_logger().log(record.levelno, record.getMessage(), **fields)


def _uvicorn_logs_through_structlog(level: str) -> None:
    """Uvicorn's own logs (start-up, errors) as JSON events with the trace id, not plain text."""
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.handlers = [_ToStructlog()]
    uvicorn_logger.setLevel(level.upper())
    uvicorn_logger.propagate = False
