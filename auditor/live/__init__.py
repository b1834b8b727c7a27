"""Live fuzzing (`auditor fuzz`): ``run.fuzz()`` is the entry point; ``engine`` is the only module
that imports Schemathesis; ``findings`` maps its failures to the shared ``Finding`` model."""
