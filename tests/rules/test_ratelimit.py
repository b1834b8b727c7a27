"""ratelimit/ rules on inline documents: header names in any case and through refs, every
rate-limit header family, a shared 429 reported once with its operations, `default` counting as
a 429 only with accept-ranges, and Swagger 2.0."""

from __future__ import annotations

import pytest
from rule_helpers import doc3, operations, run_rule


def test_retry_after_in_any_case_through_ref(tmp_path):
    doc = doc3(
        """
        "200": {description: ok}
        "429": {$ref: "#/components/responses/Throttled"}
        "503":
          description: overloaded
          headers:
            rEtRy-AfTeR: {schema: {type: integer}}""",
        """
  headers:
    RetryAfter: {schema: {type: integer}}
  responses:
    Throttled:
      description: slow down
      headers:
        RETRY-AFTER: {$ref: "#/components/headers/RetryAfter"}""",
    )
    assert run_rule(tmp_path, "ratelimit/retry-after", doc) == []


def test_shared_429_without_retry_after_is_one_finding(tmp_path):
    doc = doc3(
        """
        "200": {description: ok}
        "429": {$ref: "#/components/responses/Throttled"}""",
        """
  responses:
    Throttled: {description: slow down}""",
    )
    findings = run_rule(tmp_path, "ratelimit/retry-after", doc)
    assert len(findings) == 1 and findings[0].location.pointer == "/components/responses/Throttled"
    assert sorted(operations(findings[0])) == ["GET /pets", "POST /pets"]


def test_429_with_x_ratelimit_trio_accepted_instead_of_retry_after(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        "429":
          description: slow down
          headers:
            x-ratelimit-limit: {schema: {type: integer}}
            X-RateLimit-Remaining: {schema: {type: integer}}
            X-RATELIMIT-RESET: {schema: {type: integer}}""")
    assert run_rule(tmp_path, "ratelimit/retry-after", doc) == []


@pytest.mark.parametrize(
    "headers",
    [
        ["RateLimit", "RateLimit-Policy"],
        ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
        ["x-ratelimit-remaining"],
        ["X-Rate-Limit-Limit"],
        ["RateLimit", "X-RateLimit-Limit", "X-Rate-Limit-Reset"],  # several families at once
    ],
)
def test_any_rate_limit_family_counts(tmp_path, headers):
    declared = "".join(f"\n            {h}: {{schema: {{type: string}}}}" for h in headers)
    doc = doc3(f"""
        "200":
          description: ok
          headers:{declared}""")
    assert run_rule(tmp_path, "ratelimit/headers-documented", doc) == []


def test_swagger2_rate_limit_headers_and_429(tmp_path):
    doc = """
    swagger: "2.0"
    info: {title: t, version: 1.0.0}
    paths:
      /pets:
        get:
          responses:
            "200":
              description: ok
              headers:
                X-RateLimit-Limit: {type: integer}
            "429":
              description: slow down
              headers:
                Retry-After: {type: integer}
    """
    for rule_id in ("ratelimit/headers-documented", "ratelimit/429-documented", "ratelimit/retry-after"):
        assert run_rule(tmp_path, rule_id, doc) == [], rule_id


def test_429_default_counts_only_with_accept_ranges(tmp_path):
    doc = doc3("""
        "200": {description: ok}
        default: {description: error}""")
    assert len(run_rule(tmp_path, "ratelimit/429-documented", doc)) == 2
    assert run_rule(tmp_path, "ratelimit/429-documented", doc, accept_ranges=True) == []
