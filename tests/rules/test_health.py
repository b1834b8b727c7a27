"""health/ rules on inline documents: the liveness paths that count (any case, under a prefix,
the actuator and ping styles), and that a liveness path is no readiness endpoint."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/api/v1/healthz",
        "/livez",
        "/actuator/health",
        "/health/live",
        "/PING",
        "/_ping",
        "/status/health.json",
        "/__heartbeat__",
        "/v1/__lbheartbeat__",
    ],
)
def test_liveness_paths(lint, path):
    spec = f"""
    openapi: 3.0.3
    info: {{title: t, version: 1.0.0}}
    paths:
      {path}: {{get: {{responses: {{"200": {{description: ok}}}}}}}}
    """
    assert lint(spec, "health/liveness") == []
    assert len(lint(spec, "health/readiness")) == 1
