"""A small bounded load: many clients at once, every request answered correctly (never timed here;
bench/server.py measures latency)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

CLIENTS = 10
REQUESTS_EACH = 5


def test_concurrent_clients_all_get_correct_answers(server_url: str, token: str) -> None:
    def one_client(index: int) -> list[tuple[int, object]]:
        answers = []
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server_url, headers=headers, timeout=300) as http:
            for n in range(REQUESTS_EACH):
                response = http.post(
                    "/run/script",
                    data={"sql": f"select {index} as client, {n} as n as t;", "owner": f"load{index % 3}"},
                )
                answers.append((response.status_code, response.json()))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(one_client, range(CLIENTS)))
    for index, answers in enumerate(results):
        assert answers == [(200, [{"client": index, "n": n}]) for n in range(REQUESTS_EACH)]
