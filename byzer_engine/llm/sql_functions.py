"""The helper SQL functions around a deployed model, as Spark SQL functions (no Python round trip).

- ``llm_param(map(k, v, ...))`` -> ``array<string>``: one JSON request.
- ``llm_prompt('... {0} ... {1}', array(a, b))`` -> the template with ``{N}`` filled (N < 32; a value
  that itself contains ``{1}`` is left alone).
- ``llm_response_predict(resp)`` / ``llm_result(resp)`` -> the generated text (NULL for a row whose
  request failed; an embedding comes back as its JSON array text).
- ``llm_stack(prev_resp, llm_param(...))`` -> the new request with the previous exchange as its
  ``history`` (and the previous ``system_msg`` when the new request has none).

Spark rejects lambda functions inside the arguments of SQL functions, so none of these bodies uses
one: ``llm_prompt`` is a fixed chain of replacements, which keeps it usable inside ``llm_param``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROMPT_ARGUMENTS = 32
# Placeholders are first turned into markers no template text contains, so that an argument whose
# value contains "{1}" is never filled in by a later step.
_OPEN, _CLOSE = "\\u0001", "\\u0002"


def _prompt_body() -> str:
    body = f"regexp_replace(tpl, '\\\\{{([0-9]+)\\\\}}', '{_OPEN}$1{_CLOSE}')"
    for n in range(PROMPT_ARGUMENTS):
        marker = f"'{_OPEN}{n}{_CLOSE}'"
        body = f"replace({body}, {marker}, coalesce(try_element_at(args, {n + 1}), {marker}))"
    # Markers with no argument go back to their {N} form.
    return f"regexp_replace({body}, '{_OPEN}([0-9]+){_CLOSE}', '{{$1}}')"


_FIRST_REQUEST = "trim(try_element_at(new_param, 1))"
_PREVIOUS = "try_element_at(prev_resp, 1)"
_SYSTEM_PIECE = f"""CASE WHEN get_json_object({_FIRST_REQUEST}, '$.system_msg') IS NULL
      AND get_json_object({_PREVIOUS}, '$.input.system_msg') IS NOT NULL
    THEN regexp_extract(to_json(named_struct('system_msg',
      get_json_object({_PREVIOUS}, '$.input.system_msg'))), '^\\\\{{(.*)\\\\}}$', 1) END"""

# The request keeps its own keys; a "history" key appended last wins when the JSON is read.
_STACK_BODY = f"""CASE WHEN {_FIRST_REQUEST} IS NULL THEN new_param ELSE array(concat('{{', concat_ws(',',
    nullif(substr({_FIRST_REQUEST}, 2, length({_FIRST_REQUEST}) - 2), ''),
    concat('"history":', coalesce(get_json_object({_PREVIOUS}, '$.history'),
                                  get_json_object({_PREVIOUS}, '$.input.history'), '[]')),
    {_SYSTEM_PIECE}), '}}')) END"""

FUNCTIONS: dict[str, str] = {
    "llm_param": "(m MAP<STRING, STRING>) RETURNS ARRAY<STRING> RETURN array(to_json(m))",
    "llm_prompt": f"(tpl STRING, args ARRAY<STRING>) RETURNS STRING RETURN {_prompt_body()}",
    "llm_response_predict": (
        "(resp ARRAY<STRING>) RETURNS STRING RETURN get_json_object(try_element_at(resp, 1), '$.output')"
    ),
    "llm_result": "(resp ARRAY<STRING>) RETURNS STRING RETURN get_json_object(try_element_at(resp, 1), '$.output')",
    "llm_stack": f"(prev_resp ARRAY<STRING>, new_param ARRAY<STRING>) RETURNS ARRAY<STRING> RETURN {_STACK_BODY}",
}


def register_helpers(spark: SparkSession) -> list[str]:
    """Register (or refresh) the helper functions as temporary functions of ``spark``'s session."""
    for name, definition in FUNCTIONS.items():
        spark.sql(f"CREATE OR REPLACE TEMPORARY FUNCTION {name}{definition}")
    return list(FUNCTIONS)
