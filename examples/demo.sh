#!/usr/bin/env bash
# The main example: an ETL script on Spark, then the default model deployed on Ray and used from SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BYZER=.venv/bin/byzer
echo "== byzer check examples/*.byzer"
$BYZER check examples/*.byzer
echo
echo "== byzer run examples/etl.byzer  (load CSV -> transform -> save parquet -> show)"
$BYZER run examples/etl.byzer
echo
echo "== byzer run examples/llm_classify.byzer  (deploy SmolLM2 on Ray -> LLM function in SELECT -> save -> show)"
$BYZER run examples/llm_classify.byzer
