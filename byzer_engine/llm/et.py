"""The LLM family of ETs, found by the runtime through the ``byzer_engine.ets`` entry points.

Importing this module is cheap on purpose (no torch, transformers or ray): every ET imports what it
needs inside ``run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from byzer_engine.runtime.ets.base import ET, ETContext, ETParam

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class LLMET(ET):
    name: ClassVar[str] = "LLM"
    alg_type: ClassVar[str] = "algorithm"
    doc: ClassVar[str] = (
        "Deploy a model on a pool of Ray actors and register it as a SQL function (action=infer), "
        "fine-tune one with LoRA (action=finetune) or merge an adapter into it (action=merge)."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("action", "what to do", default="infer", values=("infer", "finetune", "merge")),
        ETParam("udfName", "name of the SQL function (and of the Ray master actor)", required=True),
        ETParam(
            "pretrainedModelType",
            "model family: llama, qwen, custom/auto, custom/m3e, custom/bge, saas/openai, qa; "
            "sft/... for fine-tuning, lora/... for merge",
            default="custom/auto",
        ),
        ETParam("localModelDir", "model folder or GGUF file (absent: the packaged SmolLM2-135M-Instruct)"),
        ETParam(
            "modelTable", "command when localModelDir is used; the index table for qa", default="command"
        ),
        ETParam("reconnect", "true: only register the function against a running pool", default="false"),
        ETParam("failOnError", "true: a failed request fails the query instead of its row", default="false"),
        ETParam("saas.base_url", "OpenAI-compatible endpoint (saas/*)", default="https://api.openai.com/v1"),
        ETParam("saas.api_key", "API key for the endpoint (saas/*)"),
        ETParam("saas.model", "model name at the endpoint (saas/*)"),
        ETParam("backend.*", "engine arguments of the backend (batch_size, max_model_len, ...)"),
        ETParam("embeddingFunc", "qa: the deployed embedding function"),
        ETParam("chatFunc", "qa: the deployed chat function"),
    )
    example: ClassVar[str] = """!byzerllm setup single;
run command as LLM.`` where action="infer" and udfName="chat" and pretrainedModelType="custom/auto";
select llm_response_predict(chat(llm_param(map("instruction", "What is the capital of France?")))) as a as out;"""

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        from byzer_engine.llm.actions import get_action

        action = (options.get("action") or default_action(options)).strip()
        return get_action(action)(ctx, options)


class LLMQABuilderET(ET):
    name: ClassVar[str] = "LLMQABuilder"
    alg_type: ClassVar[str] = "algorithm"
    doc: ClassVar[str] = (
        "Split documents (page_content, source) into chunks, embed them with a deployed embedding "
        "function and store the retrieval index as a table."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("inputTable", "table with page_content (and source) columns; default: the run's table"),
        ETParam("outputTable", "name of the index table", required=True),
        ETParam("embeddingFunc", "deployed embedding function", required=True),
        ETParam("chunkSize", "characters per chunk", default="600"),
        ETParam("chunkOverlap", "characters shared by neighbouring chunks", default="0"),
    )
    example: ClassVar[str] = (
        'run command as LLMQABuilder.`` where inputTable="docs" and outputTable="qa_index" and embeddingFunc="emb";'
    )

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        from byzer_engine.llm.qa.builder import build_index

        return build_index(ctx, table, options)


class ByzerLLMCommandET(ET):
    name: ClassVar[str] = "ByzerLLM"
    doc: ClassVar[str] = (
        '!byzerllm setup single|sft|"KEY=VALUE"; settings for the next deploys. '
        "!byzerllm model list|exists NAME|remove NAME; deployed functions and fine-tune jobs."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("args", "the macro's arguments as a JSON list", required=True),
    )
    example: ClassVar[str] = (
        '!byzerllm setup single;\n!byzerllm setup "maxConcurrency=2";\n!byzerllm model list;'
    )

    def run(
        self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]
    ) -> DataFrame | None:
        from byzer_engine.llm.commands import parse_args, run_command

        return run_command(ctx, parse_args(options.get("args")))


def default_action(options: dict[str, str]) -> str:
    """Byzer-LLM's forms without ``action``: ``pretrainedModelType="sft/..."`` fine-tunes; else infer."""
    model_type = options.get("pretrainedModelType", "").strip().lower()
    return "finetune" if model_type.startswith("sft/") else "infer"
