"""The tenant's services: the suite chart installed as a Helm release in its namespace.

Installing the chart (rather than rendering manifests here) keeps one definition of how a
service runs, the same one a prefecture would install by hand.
"""

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from lightkube import AsyncClient
from lightkube.resources.apps_v1 import Deployment

from anjian_operator.config import OperatorSettings
from anjian_operator.prefecture import PrefectureSpec, TenantNames

HISTORY_MAX = 5


class HelmError(RuntimeError):
    """helm exited with an error; the message carries its output."""


def release_values(
    settings: OperatorSettings, names: TenantNames, spec: PrefectureSpec
) -> dict[str, Any]:
    """Values for the suite chart that make it serve exactly this tenant."""
    components = _chart_components(settings.chart)
    missing = sorted(set(spec.services) - components)
    if missing:
        raise LookupError(f"the suite chart has no component {', '.join(missing)}")
    return {
        "tenant": names.code,
        "image": {
            "repository": settings.image_repository,
            "tag": settings.image_tag,
            "pullPolicy": settings.image_pull_policy,
        },
        "database": {"existingSecret": names.database_credentials, "create": False},
        "nats": {"url": settings.tenant_nats_url, "existingSecret": names.nats_credentials},
        "auth": {"existingSecret": names.auth_key},
        "personKey": {"existingSecret": names.person_key},
        # The operator mints no public tokens (they would need renewing before they expire);
        # whoever runs the tenant may put them in this Secret, and until then the query is off.
        "publicQuery": {"existingSecret": names.public_tokens},
        "otel": {
            "exporter": settings.otel_exporter,
            "endpoint": settings.otel_endpoint,
            "samplingRatio": settings.otel_sampling_ratio,
        },
        # The operator's own NetworkPolicy fences the namespace; the chart's would only repeat it.
        "networkPolicy": {"enabled": False},
        "components": {
            name: {"enabled": name in spec.services, "replicas": spec.replicas}
            for name in sorted(components)
        },
    }


def _chart_components(chart: Path) -> set[str]:
    """Component names the chart defines, so values never name one it does not know."""
    values = yaml.safe_load((chart / "values.yaml").read_text())
    return set(values.get("components", {}))


async def _helm(settings: OperatorSettings, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        settings.helm_binary,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise HelmError(f"helm {args[0]} failed ({process.returncode}): {text.strip()[-2000:]}")
    return text


async def install(settings: OperatorSettings, names: TenantNames, spec: PrefectureSpec) -> None:
    """Install or upgrade the release. Objects that did not change stay untouched; every
    retry still records a revision, so the history is capped."""
    values = release_values(settings, names, spec)
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="anjian-values-") as handle:
        json.dump(values, handle)
        handle.flush()
        await _helm(
            settings,
            "upgrade",
            "--install",
            names.release,
            str(settings.chart),
            "--namespace",
            names.namespace,
            "--values",
            handle.name,
            "--history-max",
            str(HISTORY_MAX),
        )


async def uninstall(settings: OperatorSettings, names: TenantNames) -> None:
    """Remove the release; a release that is already gone is fine."""
    await _helm(
        settings, "uninstall", names.release, "--namespace", names.namespace, "--ignore-not-found"
    )


async def unready_deployments(client: AsyncClient, names: TenantNames) -> list[str]:
    """Deployments of the release that do not yet have all their replicas available."""
    waiting = []
    async for deployment in client.list(
        Deployment,
        namespace=names.namespace,
        labels={"app.kubernetes.io/instance": names.release},
    ):
        spec, status, meta = deployment.spec, deployment.status, deployment.metadata
        wanted = spec.replicas if spec is not None and spec.replicas is not None else 1
        available = (status.availableReplicas or 0) if status else 0
        updated = (status.updatedReplicas or 0) if status else 0
        if meta is not None and meta.name and (available < wanted or updated < wanted):
            waiting.append(meta.name)
    return sorted(waiting)
