"""OpenAI-compatible routes (/v1/models, /v1/chat/completions, /v1/completions) over deployed models.

``protocol`` holds the request/response models, ``mapping`` turns them into the engine's LLM request
JSON and back, ``models`` reaches the deployed models, and ``routes`` is the thin FastAPI layer.
"""
