"""One trace from the HTTP request through the gateway's gRPC call into the hazard service."""

import asyncio
import uuid

from gateway_support import KUNMING, Gateway, bearer
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from anjian_kernel.auth import Role

TRACE_ID = uuid.uuid4().hex
PARENT_SPAN = uuid.uuid4().hex[:16]
GET_HAZARD = "/anjian.hazard.v1.HazardService/GetHazard"


def recording_spans() -> InMemorySpanExporter:
    """Record every span of this process in memory (the SDK's own test exporter)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def spans_of_trace(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    """The finished spans of our trace, once the hazard service's server span has ended."""
    async with asyncio.timeout(10):
        while True:
            ours = [
                span
                for span in spans.get_finished_spans()
                if format(span.context.trace_id, "032x") == TRACE_ID
            ]
            if any(s.name == GET_HAZARD and s.kind is SpanKind.SERVER for s in ours):
                return ours
            await asyncio.sleep(0.05)


async def test_http_request_and_grpc_call_share_the_callers_trace(gateway: Gateway) -> None:
    spans = recording_spans()
    hazard = await gateway.report()

    traceparent = {"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN}-01"}
    response = await gateway.client.get(
        f"/v1/{hazard['name']}", headers={**bearer(KUNMING, Role.INSPECTOR), **traceparent}
    )
    assert response.status_code == 200

    kinds = {(span.name, span.kind) for span in await spans_of_trace(spans)}
    assert ("GET /v1/prefectures/{prefecture}/hazards/{hazard_id}", SpanKind.SERVER) in kinds
    assert (GET_HAZARD, SpanKind.CLIENT) in kinds
    assert (GET_HAZARD, SpanKind.SERVER) in kinds
