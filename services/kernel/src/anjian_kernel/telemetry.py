"""OpenTelemetry set-up and trace-context propagation over gRPC metadata and NATS headers."""

from collections.abc import Mapping

from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from anjian_kernel.settings import KernelSettings


def setup_telemetry(settings: KernelSettings, service_name: str) -> None:
    """Install trace and metric providers; exporters follow `ANJIAN_OTEL_EXPORTER`.

    With `none` spans are still created (so trace ids reach logs and events) but not exported.
    """
    resource = Resource.create({"service.name": service_name, "service.namespace": "anjian"})
    sampler = ParentBased(TraceIdRatioBased(settings.otel_sampling_ratio))
    tracer_provider = TracerProvider(resource=resource, sampler=sampler)
    span_exporter = _span_exporter(settings.otel_exporter)
    if span_exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)

    metric_exporter = _metric_exporter(settings.otel_exporter)
    readers = [PeriodicExportingMetricReader(metric_exporter)] if metric_exporter else []
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def _span_exporter(kind: str) -> SpanExporter | None:
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def _metric_exporter(kind: str) -> MetricExporter | None:
    if kind == "console":
        return ConsoleMetricExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    return None


def inject_context() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`, `tracestate`)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """A context whose parent is the trace named in `headers` (if any)."""
    return propagate.extract(dict(headers or {}))


def current_trace_id() -> str:
    """The current trace id in hex, or empty outside a sampled span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""
