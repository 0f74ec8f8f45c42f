"""byzer-engine: Byzer scripts on Spark, with LLMs served by Ray actors as SQL functions."""

__version__ = "0.1.0"
