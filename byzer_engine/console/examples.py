"""The built-in, read-only example notebooks (the console's "Examples" tree). Each runs as is.

The LLM notebooks start by deploying the packaged model as ``chat``; deploying it again with the same
settings keeps the running pool, so running several of them costs one model load.
"""

from __future__ import annotations

from typing import Any

DEPLOY = (
    "-- The packaged SmolLM2-135M-Instruct, on CPU, as the SQL function `chat`.\n"
    "!byzerllm setup single;\n"
    'run command as LLM.`` where action="infer" and pretrainedModelType="custom/auto"\n'
    '  and udfName="chat" and modelTable="command";'
)


def _cell(kind: str, source: str) -> dict[str, Any]:
    return {"kind": kind, "source": source}


ETL: dict[str, Any] = {
    "cells": [
        _cell("markdown", "# ETL\nLoad rows, clean them, aggregate, save as Parquet and read them back."),
        _cell(
            "byzer",
            "set raw='''\n"
            "city,product,amount\n"
            "Paris,tea,12\n"
            "Paris,coffee,30\n"
            "Berlin,tea,7\n"
            "Berlin,coffee,21\n"
            "Rome,coffee,18\n"
            "''';\n"
            'load csvStr.`raw` where header="true" and inferSchema="true" as sales;',
        ),
        _cell(
            "byzer",
            "select city, sum(amount) as total, count(*) as orders\n"
            "from sales group by city order by total desc as sales_by_city;",
        ),
        _cell(
            "byzer",
            "save overwrite sales_by_city as parquet.`examples/sales_by_city`;\n"
            "load parquet.`examples/sales_by_city` as reloaded;\n"
            "select * from reloaded as reloaded_view;",
        ),
    ]
}

LLM_DEPLOY: dict[str, Any] = {
    "cells": [
        _cell("markdown", "# Deploy the packaged model\nRuns offline on a CPU; the model is served by Ray."),
        _cell("byzer", DEPLOY),
        _cell("byzer", "!byzerllm model list;"),
    ]
}

LLM_CHAT: dict[str, Any] = {
    "cells": [
        _cell("markdown", "# Chat\nA chat cell keeps the conversation as a table (`--%output`)."),
        _cell("byzer", DEPLOY),
        _cell(
            "chat",
            "--%chat\n--%model=chat\n--%system_msg=You are a helpful assistant. Answer in a few words.\n"
            "--%user_role=user\n--%assistant_role=assistant\n--%output=conversation\n--%max_length=24\n"
            "What is the capital of France?",
        ),
        _cell("byzer", "select * from conversation as t;"),
    ]
}

LLM_SQL: dict[str, Any] = {
    "cells": [
        _cell("markdown", "# An LLM in SQL\nThe deployed model is a SQL function applied row by row."),
        _cell("byzer", DEPLOY),
        _cell(
            "byzer",
            "select 'France' as country as countries;\n"
            "select country, llm_response_predict(chat(llm_param(map(\n"
            "  \"instruction\", llm_prompt('What is the capital of {0}? Answer in one word.', array(country)),\n"
            '  "temperature", "0", "max_length", "16")))) as answer\n'
            "from countries as answers;",
        ),
    ]
}

LLM_OPENAI: dict[str, Any] = {
    "cells": [
        _cell(
            "markdown",
            "# The model over `/v1/chat/completions`\n"
            "With `--%via=openai` a chat cell calls the OpenAI-compatible route instead of SQL;"
            " the conversation is still kept as a table.",
        ),
        _cell("byzer", DEPLOY),
        _cell(
            "chat",
            "--%chat\n--%model=chat\n--%via=openai\n--%output=openai_conversation\n--%max_length=24\n"
            "Say hello in French.",
        ),
    ]
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "ETL": ETL,
    "LLM 1 - Deploy the packaged model": LLM_DEPLOY,
    "LLM 2 - Chat": LLM_CHAT,
    "LLM 3 - An LLM in SQL": LLM_SQL,
    "LLM 4 - OpenAI API": LLM_OPENAI,
}
