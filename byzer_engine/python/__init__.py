"""Byzer-python: user Python over tables on Ray (``run command as Ray``, ``!ray on``, ``!python``).

- ``settings``: ``!python env|conf`` (the ``PythonCommand`` ET), per owner.
- ``macros``: ``!python ...`` and ``!ray on ...`` expansions.
- ``et`` / ``run``: the ``Ray`` ET and one run of it (the engine's side).
- ``spark_io``: Spark partitions into Ray data servers and back (``mapInArrow`` tasks).
- ``servers``: the Ray actors (data servers, the code runner).
- ``pyjava_compat``: the ``pyjava.api.mlsql`` API user code imports.
- ``schema`` / ``usercode``: the declared schema; code positions and tracebacks.
"""
