"""Status conditions (Ready, Degraded) on Prefecture objects, in the Kubernetes shape."""

from datetime import UTC, datetime
from typing import Any

from lightkube import AsyncClient
from lightkube.types import PatchType

from anjian_operator.prefecture import Prefecture


def _condition(
    previous: list[dict[str, Any]], kind: str, status: bool, reason: str, message: str
) -> dict[str, Any]:
    """A condition whose transition time moves only when its status flips."""
    value = "True" if status else "False"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = next((c for c in previous if c.get("type") == kind), None)
    since = old["lastTransitionTime"] if old and old.get("status") == value else now
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
    }


async def report(
    client: AsyncClient,
    body: Any,
    *,
    phase: str,
    ready: bool,
    reason: str,
    message: str,
    degraded: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write phase and conditions: Ready carries progress, Degraded says what is broken."""
    previous = list((body.get("status") or {}).get("conditions") or [])
    conditions = [
        _condition(previous, "Ready", ready, reason, message),
        _condition(
            previous,
            "Degraded",
            degraded,
            reason if degraded else "AsExpected",
            message if degraded else "",
        ),
    ]
    status: dict[str, Any] = {
        "phase": phase,
        "observedGeneration": body["metadata"].get("generation"),
        "conditions": conditions,
    }
    status |= extra or {}
    await client.patch(
        Prefecture.Status,
        body["metadata"]["name"],
        {"status": status},
        patch_type=PatchType.MERGE,
    )
