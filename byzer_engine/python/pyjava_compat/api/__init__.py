"""``pyjava.api``: see ``byzer_engine.python.pyjava_compat``."""
