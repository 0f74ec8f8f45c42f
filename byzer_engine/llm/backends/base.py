"""What every backend is: ``generate(batch of requests) -> batch of responses`` (+ ``stream``, ``embed``).

A backend lives inside one Ray worker actor and holds one model replica (or one connection to a hosted
model). It answers every request of a batch: a request that fails on its own gets an error response,
never an exception, so one bad row cannot fail the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Protocol, TypeVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.requests import (
    LLMRequest,
    RequestError,
    Sampling,
    error_response,
    truncate_at_stop,
)


@dataclass(frozen=True)
class BackendConfig:
    """Everything a worker needs to build its backend; plain data, so it crosses to Ray unchanged."""

    backend: str
    model_type: str
    model_dir: str | None = None
    gguf_file: str | None = None
    model_name: str = ""
    # backend.* keys of the deploy, without the prefix (engine arguments of the backend).
    options: Mapping[str, str] = field(default_factory=dict)
    # saas.* keys of the deploy, without the prefix.
    saas: Mapping[str, str] = field(default_factory=dict)
    num_gpus: float = 0.0
    num_cpus: float = 1.0
    # Worker threads for torch on a CPU (None: the machine's cores shared by the pool's workers).
    threads: int | None = None
    # Other deploy keys a backend may use (e.g. the QA backend's embeddingFunc and chatFunc).
    extra: Mapping[str, str] = field(default_factory=dict)

    def option(self, key: str, default: str | None = None) -> str | None:
        return self.options.get(key, default)

    def positive(self, key: str, default: int) -> int:
        """``backend.<key>`` as a whole number of at least 1 (``default`` when absent or blank)."""
        raw = self.options.get(key)
        if raw is None or not str(raw).strip():
            return default
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ByzerError(f"backend.{key} must be a whole number, got '{raw}'") from None
        if value < 1:
            raise ByzerError(f"backend.{key} must be at least 1, got '{raw}'")
        return value


class Backend(ABC):
    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    # How a deploy picks it: the model kinds it serves (``causal``, ``saas``, ``embedding``, ``qa``;
    # see ``deploy_options.model_kind``) and, among the backends serving a kind, the
    # ``infer_backend`` setting values that choose it.
    serves_kinds: ClassVar[tuple[str, ...]] = ()
    infer_backend_names: ClassVar[tuple[str, ...]] = ()
    # What it needs: a GPU (deploy fails at once without one); CPUs/GPUs and torch threads of its
    # own (False for backends that only call other services); a local model folder or the packaged
    # model (``localModelDir``).
    needs_gpu: ClassVar[bool] = False
    uses_local_compute: ClassVar[bool] = True
    loads_local_model: ClassVar[bool] = True
    # What it can do beyond ``generate``.
    streams: ClassVar[bool] = False
    embeds: ClassVar[bool] = False

    def __init__(self, config: BackendConfig) -> None:
        self.config = config

    @classmethod
    def auto_rank(cls, location: Any) -> int | None:
        """How much it wants to serve ``location`` (a ``packaged.ModelLocation``) under
        ``infer_backend=auto``: the highest rank among the backends of the kind wins; None: never."""
        return None

    @classmethod
    def model_label(cls, options: Any) -> str | None:
        """The model name to show for a deploy without a local model (``None``: the packaged one)."""
        return None

    @classmethod
    def deploy_extra(cls, ctx: Any, options: Any) -> dict[str, str]:
        """Deploy-time values the workers need (built on the driver, e.g. an exported index)."""
        return {}

    @abstractmethod
    def generate(self, requests: list[LLMRequest]) -> list[dict[str, Any]]:
        """One response per request, in order."""

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Text deltas of one chat request; backends that can stream token by token override this."""
        (response,) = self.generate([request])
        if "error" in response:
            raise RuntimeError(str(response["error"]))
        yield str(response["output"])

    def count_tokens(self, requests: list[LLMRequest]) -> list[int | None]:
        """The input tokens of each request, as ``generate`` would count them (for EXPLAIN); backends
        without a local tokenizer answer ``None``."""
        return [None] * len(requests)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def close(self) -> None:  # noqa: B027 - an optional hook: most backends hold nothing to release
        """Release the model (GPU memory, connections)."""


def chat_prompt(tokenizer: Any, request: LLMRequest) -> str:
    """The prompt text of a chat request: the tokenizer's chat template, ready for the answer."""
    messages = request.messages()
    if getattr(tokenizer, "chat_template", None):
        text: str = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text
    # A base model without a chat template: a plain transcript ending where the answer goes.
    return "\n".join([*(f"{m['role']}: {m['content']}" for m in messages), "assistant:"])


def fail_all(requests: list[LLMRequest], message: str) -> list[dict[str, Any]]:
    return [error_response(r.raw, message) for r in requests]


def check_prompt_fits(ids: Sequence[int], context: int) -> None:
    """A prompt must leave the model room for at least one new token."""
    if len(ids) >= context:
        raise RequestError(
            f"the prompt has {len(ids)} tokens, more than the model's context of {context} tokens"
        )


@dataclass(slots=True)
class TokenPrompt:
    """A request of a batch with its prompt's token ids and its place in the batch."""

    index: int
    request: LLMRequest
    ids: list[int]


class _HasRequest(Protocol):
    @property
    def request(self) -> LLMRequest: ...


class _Indexed(Protocol):
    @property
    def request(self) -> LLMRequest: ...

    @property
    def index(self) -> int: ...


PromptT = TypeVar("PromptT", bound=_HasRequest)
IndexedT = TypeVar("IndexedT", bound=_Indexed)


def generate_isolating_failures(
    prompts: list[PromptT], run: Callable[[list[PromptT]], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``run`` over the whole batch; if it raises, each prompt on its own, so only the one that fails
    gets an error response."""
    try:
        return run(prompts)
    except Exception as exc:
        if len(prompts) == 1:
            return [error_response(prompts[0].request.raw, f"generation failed: {exc}")]
        return [r for p in prompts for r in generate_isolating_failures([p], run)]


def generate_grouped(
    requests: list[LLMRequest],
    encode: Callable[[int, LLMRequest], IndexedT | None],
    run: Callable[[list[IndexedT], Sampling], list[dict[str, Any]]],
    batch_size: int,
    sort_key: Callable[[IndexedT], Any],
) -> list[dict[str, Any] | None]:
    """One response per request, in order: requests grouped by their generation settings (one
    batched call takes one set), each group sorted by ``sort_key`` and run ``batch_size`` at a time.
    A request ``encode`` refuses (RequestError) gets its error; ``encode`` returning None leaves its
    place None for the caller (e.g. embeddings)."""
    responses: list[dict[str, Any] | None] = [None] * len(requests)
    groups: dict[Sampling, list[IndexedT]] = defaultdict(list)
    for index, request in enumerate(requests):
        try:
            prompt = encode(index, request)
        except RequestError as exc:
            responses[index] = error_response(request.raw, str(exc))
            continue
        if prompt is not None:
            groups[request.sampling].append(prompt)
    for sampling, prompts in groups.items():
        prompts.sort(key=sort_key)
        for start in range(0, len(prompts), batch_size):
            chunk = prompts[start : start + batch_size]
            answers = generate_isolating_failures(chunk, partial(_run_with, run, sampling))
            for prompt, response in zip(chunk, answers, strict=True):
                responses[prompt.index] = response
    return responses


def _run_with(
    run: Callable[[list[IndexedT], Sampling], list[dict[str, Any]]],
    sampling: Sampling,
    prompts: list[IndexedT],
) -> list[dict[str, Any]]:
    return run(prompts, sampling)


def cut_stream(deltas: Iterator[str], stops: tuple[str, ...]) -> Iterator[str]:
    """Yield deltas, holding back just enough text to cut the stream at a stop sequence."""
    if not stops:
        yield from (d for d in deltas if d)
        return
    hold = max(len(s) for s in stops) - 1
    text, sent = "", 0
    for delta in deltas:
        text += delta
        cut, stopped = truncate_at_stop(text, stops)
        if stopped:
            if len(cut) > sent:
                yield cut[sent:]
            return
        safe = max(sent, len(text) - hold)
        if safe > sent:
            yield text[sent:safe]
            sent = safe
    if len(text) > sent:
        yield text[sent:]
