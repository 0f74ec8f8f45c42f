"""Built-in macros (``!desc``, ``!show`` ...): one module per family, each macro a ``BuiltinMacro``
class with a ``name`` (see ``byzer_engine.plugins``). Other packages add theirs through the
``byzer_engine.macros`` entry-point group."""
