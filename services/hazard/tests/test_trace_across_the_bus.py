"""One trace shows the call, the outbox event on the bus, and what a consumer did with it."""

import asyncio
import uuid

from grpc_health.v1 import health_pb2, health_pb2_grpc
from hazard_support import KUNMING, Caller, HazardStack, hazard_fields
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_hazard.tables import kernel
from anjian_kernel.inbox import Event, InboxConsumer

REPORT_SPAN = "/anjian.hazard.v1.HazardService/ReportHazard"
TRACE_ID = uuid.uuid4().hex
PARENT_SPAN = uuid.uuid4().hex[:16]


def recording_spans() -> InMemorySpanExporter:
    """Record every span of this process in memory (the SDK's own test exporter)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def span_names_once_processed(spans: InMemorySpanExporter) -> set[str]:
    """Names of the finished spans of our trace, once the consumer's span has ended too."""
    async with asyncio.timeout(10):
        while True:
            names = {
                span.name
                for span in spans.get_finished_spans()
                if format(span.context.trace_id, "032x") == TRACE_ID
            }
            if any(name.endswith(" process") for name in names):
                return names
            await asyncio.sleep(0.05)


async def test_one_trace_from_the_call_through_the_bus_to_the_consumer(
    stack: HazardStack,
    inspector: Caller,
) -> None:
    spans = recording_spans()
    traced = Caller(inspector.channel, inspector.bearer)
    metadata = (*traced.metadata, ("traceparent", f"00-{TRACE_ID}-{PARENT_SPAN}-01"))
    reported = await traced.hazards.ReportHazard(
        hazard_pb2.ReportHazardRequest(
            parent=f"prefectures/{KUNMING}",
            request_id=str(uuid.uuid4()),
            hazard=hazard_pb2.Hazard(**hazard_fields()),
        ),
        metadata=metadata,
    )

    seen: dict[str, str] = {}
    handled = asyncio.Event()

    async def handle(_: AsyncConnection, event: Event) -> None:
        hazard_event = HazardEvent.FromString(event.payload)
        if hazard_event.hazard.name == reported.name:
            seen["trace_id"] = format(trace.get_current_span().get_span_context().trace_id, "032x")
            handled.set()

    consumer = InboxConsumer(
        tenant=KUNMING,
        durable=f"trace-{uuid.uuid4().hex[:8]}",
        subjects=f"anjian.{KUNMING}.hazard.reported",
        bus=stack.host.bus,
        databases=stack.host.databases,
        tables=kernel,
        handler=handle,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(handled.wait(), 15)
        names = await span_names_once_processed(spans)
    finally:
        task.cancel()

    assert seen["trace_id"] == TRACE_ID
    assert REPORT_SPAN in names
    assert f"anjian.{KUNMING}.hazard.reported publish" in names
    assert f"anjian.{KUNMING}.hazard.reported process" in names


async def test_health_checks_make_no_spans_while_calls_do(inspector: Caller) -> None:
    spans = recording_spans()
    health = health_pb2_grpc.HealthStub(inspector.channel)
    checked = await health.Check(health_pb2.HealthCheckRequest())
    await inspector.report()

    async with asyncio.timeout(10):
        while True:
            names = {span.name for span in spans.get_finished_spans()}
            if REPORT_SPAN in names:
                break
            await asyncio.sleep(0.05)
    assert checked.status == health_pb2.HealthCheckResponse.SERVING
    assert not [name for name in names if name.startswith("/grpc.health.v1.Health/")]
