"""The built-in semantic operators (each answer is decoded under a JSON schema, so it has its type)."""

from __future__ import annotations

import json
import math
from typing import Any

from byzer_engine.llm.semantic.aggregate import chunk_request
from byzer_engine.llm.semantic.base import SemanticFunction
from byzer_engine.llm.structured import FormatError, object_schema, parse_response_format

_ANSWER = "answer"


def _text(values: list[Any]) -> str:
    return "\n".join(str(v) for v in values)


class LLMFilter(SemanticFunction):
    name = "llm_filter"
    doc = "llm_filter('chat', prompt, cols...) -> boolean: whether the model says the prompt holds"
    return_type = "boolean"

    def request(self, args: list[Any]) -> dict[str, Any]:
        if not args:
            raise FormatError("llm_filter needs a prompt")
        prompt, *cols = args
        instruction = (
            f"{prompt}\n\n{_text(cols)}\n\nAnswer true or false."
            if cols
            else f"{prompt}\n\nAnswer true or false."
        )
        return self.structured(instruction, object_schema({_ANSWER: {"type": "boolean"}}), 16)

    def read(self, answer: Any) -> Any:
        return bool(answer[_ANSWER])


class LLMClassify(SemanticFunction):
    name = "llm_classify"
    doc = "llm_classify('chat', text, array('a', 'b', ...)) -> string: exactly one of the labels"

    def request(self, args: list[Any]) -> dict[str, Any]:
        if len(args) != 2:
            raise FormatError("llm_classify takes ('chat', text, array(labels...))")
        text, labels = args
        choices = [str(label) for label in labels if label is not None]
        if not choices:
            raise FormatError("llm_classify needs at least one label")
        instruction = f"Classify the text into one of: {', '.join(choices)}.\n\nText: {text}\n\nLabel:"
        return self.structured(instruction, object_schema({"label": {"enum": choices}}), 32)

    def read(self, answer: Any) -> Any:
        return str(answer["label"])


class LLMExtract(SemanticFunction):
    name = "llm_extract"
    doc = "llm_extract('chat', text, 'struct<name:string,age:int>' or a JSON schema) -> that struct"
    typed_by_argument = 2

    def request(self, args: list[Any]) -> dict[str, Any]:
        if len(args) != 2:
            raise FormatError("llm_extract takes ('chat', text, type)")
        text, type_text = args
        schema = parse_response_format(str(type_text))
        fields = ", ".join((schema.get("properties") or {}).keys())
        what = f"the fields {fields}" if fields else "the value"
        instruction = f"Extract {what} from the text below as JSON.\n\nText: {text}"
        return self.structured(instruction, schema)

    def read(self, answer: Any) -> Any:
        return json.dumps(answer, ensure_ascii=False)


class LLMSummarize(SemanticFunction):
    name = "llm_summarize"
    doc = "llm_summarize('chat', text) -> string: a short summary"

    def request(self, args: list[Any]) -> dict[str, Any]:
        if len(args) != 1:
            raise FormatError("llm_summarize takes ('chat', text)")
        return {
            "instruction": f"Summarize the text below in one or two sentences.\n\nText: {args[0]}",
            "temperature": 0,
            "max_length": 96,
        }

    def read(self, answer: Any) -> Any:
        return str(answer)


class LLMSimilarity(SemanticFunction):
    name = "llm_similarity"
    requests_per_row = 2
    doc = "llm_similarity('emb', a, b) -> double: the cosine similarity of the two texts' embeddings"
    return_type = "double"

    def request(self, args: list[Any]) -> dict[str, Any]:
        raise FormatError("llm_similarity makes two requests per row")

    def requests(self, args: list[Any]) -> list[dict[str, Any]]:
        if len(args) != 2:
            raise FormatError("llm_similarity takes ('emb', text_a, text_b)")
        return [{"instruction": str(text), "embedding": "true"} for text in args]

    def read(self, answer: Any) -> Any:
        return [float(x) for x in answer]

    def combine(self, answers: list[Any]) -> Any:
        a, b = (self.read(v) for v in answers)
        norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
        if len(a) != len(b) or norm == 0:
            return None
        return sum(x * y for x, y in zip(a, b, strict=True)) / norm


class LLMAgg(SemanticFunction):
    """The aggregate: its UDF hands ``reduce_group`` the group's texts (see ``semantic.aggregate``)."""

    name = "llm_agg"
    doc = "llm_agg('chat', instruction, col) -> string: the instruction over a group of rows"
    aggregate = True

    def request(self, args: list[Any]) -> dict[str, Any]:
        instruction, items = args
        return chunk_request(str(instruction), [str(i) for i in items], True)

    def read(self, answer: Any) -> Any:
        return str(answer)
