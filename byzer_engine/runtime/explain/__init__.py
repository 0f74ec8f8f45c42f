"""EXPLAIN: what a script would do, and what its LLM calls would cost, without running a model.

- ``explain STATEMENT;`` explains one statement (not run); ``!explain;`` explains every later statement
  of the script; ``executeMode=explain`` on HTTP and ``byzer run --explain`` explain a whole script.
- ``script``: which statements explain still runs (in a copy of the owner's session: loads, selects
  as views, literal sets, connects — all lazy, so nothing is computed) and what it reports for the rest.
- ``plans``: Spark's own explain text, and the Python UDF calls in a query's optimized plan with the
  exact rows each one would see.
- ``calls``: the estimators (``byzer_engine.call_explainers`` entry points, e.g. the LLM functions')
  that turn such a call into model, rows, distinct requests, cached hits, tokens and time.
"""
