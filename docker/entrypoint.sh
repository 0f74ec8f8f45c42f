#!/bin/sh
# With RAY_JOIN=HOST:PORT, this container first joins that Ray cluster as a node with no CPUs for
# actors: a process that calls ray.init(address=...) needs a raylet on its own node (the server,
# and Spark's Python workers running the LLM function). Model actors are scheduled on the head.
set -e
if [ -n "${RAY_JOIN:-}" ]; then
    ray start --address="$RAY_JOIN" --num-cpus=0 --disable-usage-stats
fi
exec "$@"
