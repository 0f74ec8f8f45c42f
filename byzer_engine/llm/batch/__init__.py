"""``run t as LLMBatch.`out_path` where udfName=... and inputCol=...``: resumable batch inference.

Importing this package is cheap (no Spark work, no ray): the ET does its work inside ``run``.
"""

from byzer_engine.llm.batch.et import LLMBatchET

__all__ = ["LLMBatchET"]
