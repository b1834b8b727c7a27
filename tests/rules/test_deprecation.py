"""deprecation/ rules on inline documents: an x-deprecation-message that names the replacement
documents a deprecation."""

from __future__ import annotations


def test_deprecation_extension_message_names_the_replacement(lint):
    spec = """
    openapi: 3.0.3
    info: {title: t, version: 1.0.0}
    paths:
      /old:
        get:
          deprecated: true
          x-deprecation-message: "Use /new instead."
          responses: {"200": {description: ok, headers: {Sunset: {schema: {type: string}}}}}
    """
    assert lint(spec, "deprecation/documented") == []
