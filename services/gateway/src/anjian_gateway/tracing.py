"""Tracing: a span for each HTTP request and each gRPC call it makes, in one trace.

The HTTP side continues a caller's W3C `traceparent`; the gRPC client interceptors
(see `upstream.py`) carry the context on in call metadata, so the hazard service's
spans join the same trace.
"""

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from anjian_gateway.settings import GatewaySettings

# Probes run every few seconds and would drown the traces that matter.
_UNTRACED_URLS = "healthz,readyz"


def setup_tracing(settings: GatewaySettings) -> None:
    """Install the process's tracer provider; the exporter follows `ANJIAN_OTEL_EXPORTER`.

    With `none` spans are still made, so trace ids reach the logs and the services.
    """
    resource = Resource.create({"service.name": "anjian-gateway", "service.namespace": "anjian"})
    sampler = ParentBased(TraceIdRatioBased(settings.otel_sampling_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    exporter = _span_exporter(settings.otel_exporter)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def instrument_app(app: FastAPI) -> None:
    """Trace every HTTP request the app serves, except the health probes."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls=_UNTRACED_URLS)


def _span_exporter(kind: str) -> SpanExporter | None:
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        # Imported only when chosen: the OTLP exporter pulls in its own gRPC set-up.
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None
