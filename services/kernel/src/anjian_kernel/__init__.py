"""Anjian service kernel: settings, gRPC server, database, outbox and inbox, telemetry, auth."""
