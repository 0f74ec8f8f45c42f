"""Semantic operators: SQL functions that ask any deployed chat function a typed question per row.

``llm_filter('chat', prompt, cols...)`` (boolean), ``llm_classify('chat', text, array(labels))`` (one
of the labels), ``llm_extract('chat', text, 'struct<...>' or a JSON schema)`` (a struct of that type)
and ``llm_summarize('chat', text)`` (text). Each is a class here with its ``name``, the Spark type it
returns, the request it makes of a row and how it reads the answer; ``semantic_udf`` turns every
class into a batched UDF. Every structured answer is decoded under a JSON schema, so it has its type.

A function whose type is an argument (``llm_extract``) returns JSON text, and ``rewrite_typed_calls``
wraps each call in ``from_json(..., '<type>')`` before Spark sees the SQL (Spark fixes a UDF's type
when it is registered, and ``from_json`` needs its type as a literal).
"""

from __future__ import annotations

from byzer_engine.lang.source import Source
from byzer_engine.lang.tokens import PUNCT, STRING, WORD, Token, tokenize, unquote
from byzer_engine.llm.semantic.base import SemanticFunction
from byzer_engine.llm.structured import FormatError, parse_response_format, schema_to_ddl
from byzer_engine.plugins import PluginRegistry

REGISTRY: PluginRegistry[SemanticFunction] = PluginRegistry(
    "semantic_functions", SemanticFunction, ("byzer_engine.llm.semantic",)
)


def semantic_functions() -> list[type[SemanticFunction]]:
    return [entry.plugin for entry in REGISTRY.entries() if entry.plugin is not None]


def _call_end(tokens: list[Token], open_index: int) -> tuple[int, list[int]] | None:
    """The index of the ``)`` closing the ``(`` at ``open_index`` and its top-level commas."""
    depth, commas = 0, list[int]()
    for i in range(open_index, len(tokens)):
        token = tokens[i]
        if token.kind != PUNCT:
            continue
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
            if depth == 0:
                return i, commas
        elif token.text == "," and depth == 1:
            commas.append(i)
    return None


def rewrite_typed_calls(sql: str) -> str:
    """Each call of a function typed by an argument, read as that type: ``llm_extract(a, b, 'T')``
    becomes ``from_json(llm_extract(a, b, 'T'), 'T')`` (a JSON schema literal becomes its Spark type)."""
    typed = {c.name: c.typed_by_argument for c in semantic_functions() if c.typed_by_argument is not None}
    if not any(name in sql.lower() for name in typed):
        return sql
    try:
        tokens = tokenize(Source(sql))
    except Exception:
        return sql  # Spark's parser reports the error
    edits: list[tuple[int, int, str]] = []
    covered = -1
    for i, token in enumerate(tokens[:-1]):
        argument = typed.get(token.text.lower()) if token.kind == WORD else None
        if argument is None or token.start < covered or tokens[i + 1].text != "(":
            continue
        found = _call_end(tokens, i + 1)
        if found is None:
            continue
        close, commas = found
        bounds = [i + 1, *commas, close]
        if argument + 1 >= len(bounds):
            continue
        arg_tokens = tokens[bounds[argument] + 1 : bounds[argument + 1]]
        if len(arg_tokens) != 1 or arg_tokens[0].kind != STRING:
            continue
        literal = unquote(arg_tokens[0])
        try:
            schema = parse_response_format(literal)
            ddl = schema_to_ddl(schema) if literal.lstrip().startswith("{") else literal
        except FormatError:
            continue  # the function itself reports the bad type on each row
        call = sql[token.start : tokens[close].end]
        edits.append((token.start, tokens[close].end, f"from_json({call}, '{ddl}')"))
        covered = tokens[close].end
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end:]
    return sql
