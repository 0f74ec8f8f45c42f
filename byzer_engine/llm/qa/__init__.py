"""Retrieval QA: an index of embedded document chunks, and a QA function that answers from it.

- ``builder``: ``run command as LLMQABuilder.`` where inputTable=... and outputTable=... and
  embeddingFunc=...``: chunks ``page_content`` in Spark, embeds every chunk by calling the deployed
  embedding function as a SQL function, and registers the index (source, chunk_id, content, embedding)
  as a temp view.
- ``index``: at a ``pretrainedModelType="qa"`` deploy, writes the index table as parquet under the
  owner's home, where the pool's workers read it (``byzer_engine.llm.backends.qa``).
"""
