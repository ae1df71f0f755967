"""`anjian-operator`: check the settings, then run the kopf operator over all namespaces."""

import os
import sys

import kopf
from pydantic import ValidationError

from anjian_operator import handlers
from anjian_operator.config import OperatorSettings


def main() -> None:
    """Run until SIGTERM; one replica, so no peering objects are needed."""
    try:
        settings = OperatorSettings()
    except ValidationError as error:
        # Fail at once, naming the variables, instead of kopf retrying a bad start-up.
        print(f"anjian-operator: invalid ANJIAN_OPERATOR_* settings:\n{error}", file=sys.stderr)
        sys.exit(2)

    json_logs = os.environ.get("ANJIAN_LOG_FORMAT", "json") == "json"
    kopf.configure(log_format=kopf.LogFormat.JSON if json_logs else kopf.LogFormat.PLAIN)
    kopf.run(
        clusterwide=True,
        standalone=True,
        liveness_endpoint=f"http://0.0.0.0:{settings.health_port}/healthz",
        memo=kopf.Memo(settings=settings),
        registry=handlers.registry,
    )
