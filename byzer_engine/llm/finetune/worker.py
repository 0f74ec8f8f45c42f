"""The Ray actor that trains one job: Arrow batches in, a LoRA adapter and its loss log out.

It is a threaded actor: ``add_batch`` calls arrive from Spark's Python workers while the data streams,
``start`` returns at once and training runs on a thread of its own, reporting each step to the job
registry. When it is done the registry ends this actor, which frees the model's memory.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import pyarrow as pa
import ray

from byzer_engine.llm.finetune import artifacts
from byzer_engine.llm.finetune.options import FinetuneSpec
from byzer_engine.llm.finetune.registry import FAILED, FINISHED, NAMESPACE, REGISTRY_NAME

logger = logging.getLogger(__name__)


class FinetuneWorker:
    def __init__(self, spec: FinetuneSpec) -> None:
        self._spec = spec
        self._tables: list[pa.Table] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._registry = ray.get_actor(REGISTRY_NAME, namespace=NAMESPACE)
        self._log: list[dict[str, Any]] = []

    def ready(self) -> bool:
        return True

    def add_batch(self, arrow_stream: bytes) -> int:
        """One Arrow IPC stream of training rows; returns how many rows it held."""
        table = pa.ipc.open_stream(arrow_stream).read_all()
        with self._lock:
            self._tables.append(table)
        return table.num_rows

    def rows(self) -> int:
        with self._lock:
            return sum(table.num_rows for table in self._tables)

    def start(self) -> None:
        """Begins training on a background thread (the data is complete)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"finetune-{self._spec.name}", daemon=True)
        self._thread.start()

    def _report(self, fields: dict[str, Any]) -> None:
        self._registry.update.remote(self._spec.name, fields)

    def _record_log(self, entry: dict[str, Any]) -> None:
        self._log.append(entry)
        self._registry.append_log.remote(self._spec.name, entry)

    def _run(self) -> None:
        from byzer_engine.llm.finetune.training import TrainingSetupError

        try:
            outcome = {"status": FINISHED, **self._train()}
        except TrainingSetupError as error:
            outcome = {"status": FAILED, "error": str(error)}
        except Exception as error:
            logger.exception("fine-tune job %s failed", self._spec.name)
            outcome = {"status": FAILED, "error": f"{type(error).__name__}: {error}"}
        self._write_summary(outcome)
        try:
            # The registry records the outcome and then ends this actor.
            ray.get(self._registry.finish.remote(self._spec.name, outcome))
        except Exception:
            # No registry left to end us: leave anyway rather than hold the model's memory forever.
            logger.exception("fine-tune job %s could not report its outcome", self._spec.name)
            os._exit(1)

    def _train(self) -> dict[str, Any]:
        import torch
        import transformers
        from transformers import Trainer

        from byzer_engine.llm.finetune import prompts, training

        spec = self._spec
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
        torch.set_num_threads(spec.num_threads or os.cpu_count() or 1)
        cuda = training.use_cuda(spec)
        training.check_qlora(spec)
        rows = [row for table in self._tables for row in table.to_pylist()]
        args = training.training_arguments(spec, rows=len(rows), cuda=cuda)

        self._report({"phase": "loading model", "train_rows": len(rows)})
        model, tokenizer = training.load_base(
            spec.base_directory, spec.base_gguf_file, cuda=cuda, load_in_4bit=spec.load_in_4bit
        )
        self._report({"phase": "tokenizing"})
        examples = []
        for index, row in enumerate(rows):
            try:
                example = prompts.encode(tokenizer, row, spec.max_seq_length)
            except (ValueError, KeyError) as error:
                raise training.TrainingSetupError(f"training row {index + 1}: {error}") from None
            if example is not None:
                examples.append(example)
        if not examples:
            raise training.TrainingSetupError("no training row has a non-empty output to learn")

        model = training.with_lora(model, spec.lora, quantized=spec.load_in_4bit)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=examples,  # type: ignore[arg-type]  # a list is a map-style dataset
            data_collator=training.collator(int(tokenizer.pad_token_id)),
            callbacks=[training.ProgressCallback(self._report, self._record_log)],
        )
        trainer.train()

        self._report({"phase": "saving"})
        os.makedirs(spec.adapter_dir, exist_ok=True)
        model.save_pretrained(spec.adapter_dir)
        tokenizer.save_pretrained(spec.adapter_dir)
        artifacts.write_base_reference(spec.adapter_dir, spec.base_directory, spec.base_gguf_file)
        # Trainer creates the checkpoint folder even when it saves no checkpoint.
        artifacts.remove_if_empty(spec.checkpoint_dir)
        plotted = artifacts.plot_loss(spec.plot_path, self._log, f"fine-tune {spec.name}")
        losses = [entry["loss"] for entry in self._log if entry.get("loss") is not None]
        return {
            "adapter_path": spec.adapter_dir,
            "plot_path": spec.plot_path if plotted else None,
            "step": int(trainer.state.global_step),
            "loss": losses[-1] if losses else None,
            "train_rows": len(examples),
        }

    def _write_summary(self, outcome: dict[str, Any]) -> None:
        """train_log.json and job.json next to the adapter, for whoever reads the folder later."""
        spec = self._spec
        try:
            os.makedirs(spec.output_dir, exist_ok=True)
            artifacts.write_json(spec.log_path, self._log)
            artifacts.write_json(
                spec.summary_path,
                {
                    "name": spec.name,
                    "owner": spec.owner,
                    "base_model": spec.base_model,
                    "finished_at": time.time(),
                    **outcome,
                },
            )
        except OSError:
            logger.exception("could not write the summary of fine-tune job %s", spec.name)
