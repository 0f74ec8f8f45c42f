"""Parser speed: a generated 10,000-statement script (realistic selects, every statement kind) parsed cold.

Every select differs (numbers and names vary per statement), and the SQL cache is cleared before each
run, so the figure is what a fresh process pays for a script it has never seen. Prints both sides
(the parse time and the 1.0 s target) and, as its last line, ``ratio: X.XX`` (parse CPU seconds / 1.0 s;
the parser is single-threaded, so on an idle machine its CPU time is its wall time).

    .venv/bin/python bench/parse.py [--statements N] [--runs R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from byzer_engine.lang import parse_script
from byzer_engine.lang.sqlreads import sqlglot_reads

TARGET_SECONDS = 1.0

_SELECTS = [
    "select {c1}, {c2}, sum(amount_{n}) as total, count(*) as cnt\nfrom {t1}\n"
    "where dt >= '2024-01-{d:02d}' and status in ('paid', 'shipped')\ngroup by {c1}, {c2}\n"
    "having count(*) > {n}\norder by total desc\nlimit 100 as {out}",
    "select o.{c1}, c.name, o.amount * 1.{n} as amount_x\nfrom {t1} o\n"
    "left join {t2} c on o.customer_id = c.id and c.region = 'r{n}'\nwhere o.amount > {n} as {out}",
    "with recent as (\n  select * from {t1} where dt > date_sub(current_date(), {d})\n),\n"
    "ranked as (\n  select {c1}, amount, row_number() over (partition by {c1} order by amount desc) as rn\n"
    "  from recent\n)\nselect {c1}, amount from ranked where rn <= {d} as {out}",
    "select {c1}, case when amount > {n} then 'high' when amount > {d} then 'mid' else 'low' end as band,\n"
    "  coalesce({c2}, 'n/a') as {c2}\nfrom {t1}\nwhere {c1} is not null as {out}",
    "select a.{c1}, b.{c2} from {t1} a join {t2} b on a.id = b.id\n"
    "union all\nselect {c1}, {c2} from {t2} where id > {n} as {out}",
    "select /*+ BROADCAST(d) */ f.*, d.label from {t1} f join {t2} d on f.k = d.k "
    "where f.v between {d} and {n} as {out}",
    "select {c1}, e from {t1} lateral view explode(split(tags, ',')) x as e where length(e) > {d} as {out}",
    "select {c1}, avg(amount) over (partition by {c2} order by ts rows between {d} preceding and current row) "
    "as moving from {t1} as {out}",
    "select * from {t1} where id in (select id from {t2} where score > {n}) and dt = '${{today}}' as {out}",
    "select {c1}, transform(items, x -> x.price * {d}) as prices, size(items) as n from {t1} as {out}",
]
_OTHERS = [
    'load csv.`/data/in/{t1}_{n}.csv` where header="true" and inferSchema="true" as {t1}',
    "load parquet.`/warehouse/{t1}/dt={d}` as {t1}",
    "load jdbc.`db1.{t1}` where directQuery='''select * from {t1} where id > {n}''' as {t1}_q",
    'save overwrite {out} as parquet.`/warehouse/out/{out}_{n}` where fileNum="{d}" partitionBy dt, {c1}',
    "save append {out} as json.`/tmp/out/{out}`",
    'set {c1}_limit = "{n}"',
    'set path_{n} = "/data/${{today}}/{t1}" where type="text"',
    'set cnt_{n} = `select count(*) from {t1}` where type="sql" and mode="runtime"',
    'set spark.sql.shuffle.partitions = {d} where type="conf"',
    'connect jdbc where url="jdbc:postgresql://localhost/db{d}" and driver="org.postgresql.Driver" '
    'and user="u" and password="p" as db{d}',
    'train {t1} as RandomForest.`/models/rf_{n}` where keepVersion="true" and fitParam.0.labelCol="label" '
    'and fitParam.0.maxDepth="{d}" as {out}',
    'run command as LLM.`` where action="infer" and pretrainedModelType="custom/auto" and udfName="chat{d}"',
    "predict {t1} as RandomForest.`/models/rf_{n}` as {out}",
    "register RandomForest.`/models/rf_{n}` as rf_predict_{n}",
    "insert into {t2} select {c1}, {c2} from {t1} where id > {n}",
    "create table if not exists tbl_{n} (id int, name string) using parquet",
    "drop table if exists tbl_{n}",
    "!desc {t1}",
    "!show et/RandomForest",
    "!assert {out} ''':cnt > {d}''' \"{out} must not be empty\"",
    "!byzerllm model list",
]
_TABLES = ["orders", "customers", "events", "payments", "sessions", "items", "users", "clicks"]
_COLUMNS = ["region", "country", "channel", "category", "device", "segment", "plan", "source"]


def generate_script(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts: list[str] = ["-- generated benchmark script; ; inside comments must not split statements\n"]
    for index in range(count):
        fields = {
            "t1": rng.choice(_TABLES),
            "t2": rng.choice(_TABLES),
            "c1": rng.choice(_COLUMNS),
            "c2": rng.choice(_COLUMNS),
            "n": index,
            "d": rng.randint(1, 28),
            "out": f"result_{index}",
        }
        template = rng.choice(_SELECTS) if rng.random() < 0.45 else rng.choice(_OTHERS)
        if rng.random() < 0.05:
            parts.append(f"/* step {index}; keep going */\n")
        parts.append(template.format(**fields) + ";\n")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    script = generate_script(args.statements)
    parse_script(generate_script(50, seed=1))  # import and compile everything once, as a server would have
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(args.runs):
        sqlglot_reads.cache_clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        statements = parse_script(script, file="bench.byzer", skip_include=True)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    kinds: dict[str, int] = {}
    for statement in statements:
        kinds[statement.kind] = kinds.get(statement.kind, 0) + 1
    seconds = statistics.median(cpu)
    print(
        f"script: {len(statements)} statements, {len(script):,} characters, {script.count(chr(10)):,} lines"
    )
    print("statement kinds: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    print(f"parse wall time (cold SQL cache, median of {args.runs}): {statistics.median(wall):.3f} s")
    # The parser is single-threaded: its CPU time is its cost, and unlike wall time it does not count
    # what other processes on a shared machine take.
    print(f"parse CPU time (cold SQL cache, median of {args.runs}): {seconds:.3f} s")
    print(f"target: {TARGET_SECONDS:.3f} s")
    print(f"ratio: {seconds / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
