"""`anjian-operator`: run the kopf operator over all namespaces."""

import os

import kopf

from anjian_operator import handlers

HEALTH_ENDPOINT = "http://0.0.0.0:8080/healthz"


def main() -> None:
    """Run until SIGTERM; one replica, so no peering objects are needed."""
    log_format = (
        kopf.LogFormat.JSON
        if os.environ.get("ANJIAN_LOG_FORMAT", "json") == "json"
        else (kopf.LogFormat.PLAIN)
    )
    kopf.configure(log_format=log_format, log_refkey="object")
    assert handlers.provision is not None  # importing `handlers` registers them
    kopf.run(clusterwide=True, standalone=True, liveness_endpoint=HEALTH_ENDPOINT)
