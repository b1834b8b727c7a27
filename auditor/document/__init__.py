"""The document layer: reading, parsing and locating OpenAPI files, the ``Document`` that joins
them by ``$ref``, its validation, and the ``Context`` rules and live checks read it through."""
