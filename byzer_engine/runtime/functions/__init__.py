"""SQL functions every owner session has (Byzer's vector helpers, one-argument AES, ...).

Each built-in is a ``SqlFunction`` class with a ``name`` in a module of this package; functions from
other packages register through the ``byzer_engine.functions`` entry-point group.
"""
