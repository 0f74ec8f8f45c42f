"""Supervised LoRA fine-tuning from SQL: ``run command as LLM.`` where action="finetune" ...``.

The rows of the input table stream from Spark to a Ray training actor in Arrow batches
(``feed``); the actor (``worker``) trains a peft LoRA adapter with transformers' Trainer and writes
the adapter, its loss log and a plot under the owner's home (``artifacts``). A registry actor
(``registry``) keeps every job's state, so ``jobs.list_jobs()`` sees jobs from any process connected
to the same Ray. ``merge`` folds an adapter into a full model.

Importing this package is cheap: torch and transformers load only inside the Ray actors.
"""
