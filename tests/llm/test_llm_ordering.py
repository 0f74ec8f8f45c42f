"""Prefix-aware ordering: groups adjacent, parts cut at group starts, the permutation restored."""

from __future__ import annotations

import random
from typing import Any

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.llm.pool.ordering import (
    plan,
    prefix_groups,
    prefix_order,
    restore,
    sort_key,
    split_on_groups,
)
from byzer_engine.llm.requests import parse_request
from byzer_engine.llm.settings import resolve

INSTRUCTIONS = [f"Instruction {name}: " + f"follow rule {name} carefully. " * 8 for name in "ABC"]


def _requests(seed: int) -> list:
    rows = [(i, f"{INSTRUCTIONS[i % 3]} Row {i}.") for i in range(30)]
    random.Random(seed).shuffle(rows)
    return [parse_request({"instruction": text, "max_length": "8"}) for _, text in rows]


def test_requests_sharing_a_prefix_become_adjacent_and_come_back_in_place() -> None:
    requests = _requests(1)
    permutation = prefix_order(requests)
    assert sorted(permutation) == list(range(len(requests)))
    ordered = [requests[i] for i in permutation]
    heads = [r.instruction[:13] for r in ordered]
    assert heads == sorted(heads)  # each instruction's rows in one run
    assert len(prefix_groups([sort_key(r) for r in ordered])) == 3
    assert restore(ordered, permutation) == requests


def test_different_generation_settings_never_share_a_group() -> None:
    a = parse_request({"instruction": INSTRUCTIONS[0] + " x", "max_length": "8"})
    b = parse_request({"instruction": INSTRUCTIONS[0] + " y", "max_length": "9"})
    assert prefix_groups([sort_key(a), sort_key(b)]) == [0, 1]


def test_parts_are_cut_at_group_starts_when_one_is_near() -> None:
    assert split_on_groups([0, 10, 20], 30, 3) == [(0, 10), (10, 20), (20, 30)]
    assert split_on_groups([0, 9, 21], 30, 3) == [(0, 9), (9, 21), (21, 30)]
    # One big group is still split, so no worker stays idle.
    assert split_on_groups([0], 30, 2) == [(0, 15), (15, 30)]
    assert split_on_groups([0], 1, 4) == [(0, 1)]
    assert split_on_groups([], 0, 2) == []


def test_a_plan_covers_every_request_once_and_the_opt_out_keeps_the_arrival_order() -> None:
    requests = _requests(2)
    work = plan(requests, 3, enabled=True)
    covered = [i for a, b in work.parts for i in range(a, b)]
    assert covered == list(range(len(requests)))
    assert [work.ordered[a].instruction[:13] for a, _ in work.parts] == [i[:13] for i in INSTRUCTIONS]
    off = plan(requests, 3, enabled=False)
    assert off.ordered == requests and off.permutation == list(range(len(requests)))


def test_the_prefix_order_key_is_a_checked_boolean() -> None:
    assert resolve({}, {}).prefix_order is True
    assert resolve({}, {"prefixOrder": "false"}).prefix_order is False
    with pytest.raises(ByzerError, match="prefixOrder"):
        resolve({}, {"prefixOrder": "sometimes"})


@pytest.mark.slow
def test_in_sql_the_order_of_the_rows_changes_neither_answers_nor_row_order(chat_model: Any) -> None:
    # One partition, so each query's rows reach the pool as one window: the shuffled and the sorted
    # table then give the master the same requests, which it computes in the same (prefix) order.
    countries = ("France", "Japan", "Italy", "Spain", "Egypt", "Peru", "Chile", "Kenya")
    prompts = [
        (i, f"{INSTRUCTIONS[i % 3]} What is the capital of {countries[i % len(countries)]}?")
        for i in range(16)
    ]
    shuffled = prompts[:]
    random.Random(3).shuffle(shuffled)

    def ask(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
        values = ", ".join(f"({i}, '{text}')" for i, text in rows)
        answered = chat_model.run(
            f"""select id, q from values {values} as t(id, q) as qs;
select /*+ COALESCE(1) */ id, llm_response_predict(chat(llm_param(map("instruction", q, "max_length", "8",
  "temperature", "0", "cache", "false")))) as a from qs as out;"""
        )
        return [(row["id"], row["a"]) for row in answered]

    mixed = ask(shuffled)
    assert [i for i, _ in mixed] == [i for i, _ in shuffled]  # the rows come back as they were
    in_order = ask(sorted(prompts, key=lambda p: p[1]))
    assert dict(mixed) == dict(in_order)
