"""auditor: an OpenAPI contract auditor (lint, policy checks, live fuzzing)."""

__version__ = "0.1.0"
