"""``!byzerllm setup`` keys and the deploy options: accepted values and the errors for wrong ones."""

from __future__ import annotations

import re
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.deploy_options import parse_deploy_options
from byzer_engine.llm.settings import SETUP_KEY, apply_setup, resolve


def test_single_resets_to_its_defaults() -> None:
    state: dict[str, Any] = {}
    apply_setup(state, "num_cpus=3")
    settings = apply_setup(state, "single")
    assert settings == {
        "mode": "single",
        "num_gpus": "auto",
        "maxConcurrency": "1",
        "infer_backend": "auto",
    }
    assert state[SETUP_KEY] is settings


def test_key_value_settings_accumulate_and_resolve() -> None:
    state: dict[str, Any] = {}
    for argument in ("single", "num_gpus=0.5", "maxConcurrency=3", "load_balance=round_robin", "timeout=30"):
        apply_setup(state, argument)
    resolved = resolve(state[SETUP_KEY], {})
    assert resolved.num_gpus == 0.5
    assert resolved.workers == 3
    assert resolved.load_balance == "round_robin"
    assert resolved.timeout_s == 30.0
    assert resolved.infer_backend == "auto"


def test_deploy_options_override_setup_keys() -> None:
    resolved = resolve({"maxConcurrency": "2"}, {"maxConcurrency": "4", "num_cpus": "2"})
    assert (resolved.workers, resolved.num_cpus) == (4, 2.0)


def test_resources_keys_are_kept() -> None:
    state: dict[str, Any] = {}
    apply_setup(state, "resources.master=0.001")
    assert resolve(state[SETUP_KEY], {}).resources == {"master": 0.001}


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("num_gpus=lots", "num_gpus must be a number"),
        ("num_cpus=-1", "num_cpus must not be negative"),
        ("maxConcurrency=0", "maxConcurrency must be a whole number of at least 1"),
        (
            "infer_backend=tgi",
            "infer_backend must be one of auto, ct2, ctranslate2, llama.cpp, llamacpp, ray/vllm, saas, transformers, vllm",
        ),
        ("load_balance=random", "load_balance must be one of lru, round_robin"),
        ("colour=blue", "unknown !byzerllm setup key 'colour'"),
        ("retrieval", "unknown !byzerllm setup mode 'retrieval'"),
    ],
)
def test_bad_setup_names_the_key_and_the_allowed_values(argument: str, message: str) -> None:
    with pytest.raises(ByzerError, match=re.escape(message)):
        apply_setup({}, argument)


def test_minimal_deploy_options() -> None:
    deploy = parse_deploy_options({"action": "infer", "udfName": "chat"})
    assert (deploy.udf_name, deploy.model_type, deploy.kind) == ("chat", "custom/auto", "causal")
    assert deploy.local_model_dir is None and not deploy.reconnect and not deploy.fail_on_error


@pytest.mark.parametrize(
    ("model_type", "kind"),
    [
        ("llama", "causal"),
        ("qwen", "causal"),
        ("custom/llama2", "causal"),
        ("custom/m3e", "embedding"),
        ("custom/bge", "embedding"),
        ("saas/openai", "saas"),
    ],
)
def test_model_types(model_type: str, kind: str) -> None:
    options = {"udfName": "f", "pretrainedModelType": model_type, "saas.model": "m"}
    assert parse_deploy_options(options).kind == kind


def test_backend_and_saas_keys_are_split_by_prefix() -> None:
    deploy = parse_deploy_options(
        {
            "udfName": "f",
            "pretrainedModelType": "saas/openai",
            "saas.base_url": "http://x/v1",
            "saas.model": "m",
            "backend.batch_size": "4",
        }
    )
    assert deploy.saas == {"base_url": "http://x/v1", "model": "m"}
    assert deploy.backend == {"batch_size": "4"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "udfName is required"),
        ({"udfName": "my-func"}, "udfName 'my-func' is not a valid function name"),
        ({"udfName": "llm_param"}, "taken by a built-in LLM helper"),
        (
            {"udfName": "f", "pretrainedModelType": "moss/xl"},
            "pretrainedModelType 'moss/xl' is not supported; use one of",
        ),
        ({"udfName": "f", "pretrainedModelType": "sft/llama2"}, 'use action="finetune"'),
        ({"udfName": "f", "pretrainedModelType": "saas/openai"}, "saas.model is required"),
        ({"udfName": "f", "modelTable": "llama_weights"}, "modelTable 'llama_weights' is not supported"),
        ({"udfName": "f", "reconnect": "maybe"}, 'reconnect must be "true" or "false"'),
        ({"udfName": "f", "failOnError": "sometimes"}, 'failOnError must be "true" or "false"'),
        (
            {"udfName": "f", "localModelDIr": "/m"},
            "unknown LLM option 'localModelDIr'; did you mean 'localModelDir'",
        ),
        ({"udfName": "f", "udfname": "g"}, "did you mean 'udfName'"),
        (
            {"udfName": "qa1", "pretrainedModelType": "qa"},
            'pretrainedModelType "qa" needs embeddingFunc, chatFunc',
        ),
    ],
)
def test_bad_deploy_options_name_the_key(options: dict[str, str], message: str) -> None:
    with pytest.raises(ByzerError) as caught:
        parse_deploy_options(options)
    assert message in caught.value.message


def test_unrelated_extra_keys_pass_through() -> None:
    # Byzer scripts carry knobs of other backends; only near misses of known keys are refused.
    assert parse_deploy_options({"udfName": "f", "quantizationMode": "int4"}).udf_name == "f"
