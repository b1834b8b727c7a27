"""`auditor diff OLD NEW`: two versions of a contract compared on the normalised model.

``pair.py`` is what a diff rule reads (``DiffContext``: the operations, parameters, bodies and
responses of both documents paired up) and yields (``Change``); ``schemas.py`` compares schemas
after resolution; ``compat.py`` says which differences a client survives; ``engine.py`` turns
the rules' changes into findings. The rules themselves live in ``auditor/rules/diff_*.py``.
"""
