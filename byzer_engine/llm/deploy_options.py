"""The ``where`` options of ``action="infer"``, checked and typed, with errors that name the key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from byzer_engine.booleans import parse_bool
from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.settings import SETUP_KEYS

# Model families transformers loads with AutoModelForCausalLM (Byzer's names for them).
CAUSAL_FAMILIES = frozenset(
    {
        "llama", "llama2", "llama3", "qwen", "qwen2", "chatglm", "chatglm2", "chatglm3", "baichuan",
        "baichuan2", "mistral", "mixtral", "falcon", "moss", "gemma", "phi", "deepseek", "yi",
        "internlm", "bloom", "starcoder", "codellama", "smollm",
    }
)  # fmt: skip
EMBEDDING_TYPES = frozenset({"custom/m3e", "custom/bge"})
MODEL_TYPES_HELP = (
    "llama, qwen (or another causal LM family), custom/auto (any causal LM transformers can load), "
    "custom/m3e or custom/bge (embedding models), saas/openai (any OpenAI-compatible endpoint), qa"
)
UDF_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_NAMES = frozenset({"llm_param", "llm_prompt", "llm_response_predict", "llm_result", "llm_stack"})

KNOWN_KEYS = frozenset(
    {
        "action", "udfName", "pretrainedModelType", "localModelDir", "modelTable", "reconnect",
        "failOnError", "embeddingFunc", "chatFunc", "name", *SETUP_KEYS,
    }
)  # fmt: skip
PREFIXES = ("saas.", "backend.", "resources.")


@dataclass(frozen=True)
class DeployOptions:
    udf_name: str
    model_type: str
    kind: str  # "causal" | "embedding" | "saas" | "qa"
    local_model_dir: str | None
    model_table: str
    reconnect: bool
    fail_on_error: bool
    saas: dict[str, str] = field(default_factory=dict)
    backend: dict[str, str] = field(default_factory=dict)
    embedding_func: str | None = None
    chat_func: str | None = None


def _check_unknown(options: Mapping[str, str]) -> None:
    """A key that is a near miss of a known one is a typo worth stopping for; others pass through."""
    for key in options:
        if key in KNOWN_KEYS or key.startswith(PREFIXES):
            continue
        by_case = [k for k in KNOWN_KEYS if k.lower() == key.lower()]
        close = by_case or difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.85)
        if close:
            raise ByzerError(f"unknown LLM option '{key}'; did you mean '{close[0]}'?")


def model_kind(model_type: str) -> str:
    if model_type == "qa":
        return "qa"
    if model_type in EMBEDDING_TYPES:
        return "embedding"
    if model_type.startswith("saas/") and len(model_type) > len("saas/"):
        return "saas"
    if model_type.startswith("sft/") or model_type.startswith("lora/"):
        raise ByzerError(
            f"pretrainedModelType '{model_type}' is for training: use action=\"finetune\" "
            '(or action="merge" for lora/*); deploy the result with a causal LM type such as custom/auto'
        )
    if model_type.startswith("custom/") and len(model_type) > len("custom/"):
        return "causal"
    if model_type in CAUSAL_FAMILIES:
        return "causal"
    raise ByzerError(f"pretrainedModelType '{model_type}' is not supported; use one of: {MODEL_TYPES_HELP}")


def parse_deploy_options(options: Mapping[str, str]) -> DeployOptions:
    _check_unknown(options)
    udf_name = (options.get("udfName") or "").strip()
    if not udf_name:
        raise ByzerError(
            'udfName is required: the name of the SQL function to register (e.g. udfName="chat")'
        )
    if not UDF_NAME.match(udf_name):
        raise ByzerError(f"udfName '{udf_name}' is not a valid function name (letters, digits and '_')")
    if udf_name.lower() in RESERVED_NAMES:
        raise ByzerError(f"udfName '{udf_name}' is taken by a built-in LLM helper function")
    model_type = (options.get("pretrainedModelType") or "custom/auto").strip()
    kind = model_kind(model_type)
    model_table = (options.get("modelTable") or "command").strip()
    local_dir = (options.get("localModelDir") or "").strip() or None
    if kind != "qa" and model_table != "command":
        raise ByzerError(
            f"modelTable '{model_table}' is not supported for pretrainedModelType '{model_type}': "
            'use modelTable="command" and give the model folder in localModelDir'
        )
    saas = {k[len("saas.") :]: v for k, v in options.items() if k.startswith("saas.")}
    if kind == "saas" and not saas.get("model"):
        raise ByzerError(
            f'saas.model is required for pretrainedModelType "{model_type}" (the hosted model\'s name)'
        )
    embedding_func = options.get("embeddingFunc") or None
    chat_func = options.get("chatFunc") or None
    if kind == "qa":
        missing = [k for k, v in (("embeddingFunc", embedding_func), ("chatFunc", chat_func)) if not v]
        if missing or model_table == "command":
            need = ", ".join(
                [*missing, *(["modelTable (the index table)"] if model_table == "command" else [])]
            )
            raise ByzerError(f'pretrainedModelType "qa" needs {need}')
    return DeployOptions(
        udf_name=udf_name,
        model_type=model_type,
        kind=kind,
        local_model_dir=local_dir,
        model_table=model_table,
        reconnect=parse_bool("reconnect", options.get("reconnect"), False),
        fail_on_error=parse_bool("failOnError", options.get("failOnError"), False),
        saas=saas,
        backend={k[len("backend.") :]: v for k, v in options.items() if k.startswith("backend.")},
        embedding_func=embedding_func,
        chat_func=chat_func,
    )
