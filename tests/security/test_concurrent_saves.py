"""save overwrite of files under concurrency, through the real server: readers see the old data or
the new, never a missing file; two writers of one path end with one winner and no staging debris."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from sec_server_fixtures import Server


def run(client: httpx.Client, sql: str, owner: str) -> httpx.Response:
    return client.post("/run/script", data={"sql": sql, "owner": owner})


def write_version(client: httpx.Client, owner: str, version: int, rows: int = 2000) -> httpx.Response:
    return run(
        client,
        f"select id, {version} as version from range(0, {rows}) as t;\n"
        "save overwrite t as parquet.`shared/data`;",
        owner,
    )


def in_threads(count: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)


def test_readers_never_see_a_missing_file(sec_server: Server, admin: httpx.Client) -> None:
    owner = "saver"
    assert write_version(admin, owner, 0).status_code == 200
    problems: list[str] = []
    seen: list[tuple[int, int]] = []
    stop = threading.Event()

    def reader(_: int) -> None:
        with sec_server.client(admin.headers["Authorization"].split()[1], timeout=300) as client:
            while not stop.is_set():
                answer = run(
                    client,
                    "load parquet.`shared/data` as d;\n"
                    "select count(*) as n, min(version) as lo, max(version) as hi from d as out;",
                    owner,
                )
                if answer.status_code != 200:
                    problems.append(answer.text)
                    continue
                row = answer.json()[0]
                if row["n"] != 2000 or row["lo"] != row["hi"]:
                    problems.append(f"mixed or partial data: {row}")
                seen.append((row["n"], row["hi"]))

    readers = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(3)]
    for thread in readers:
        thread.start()
    try:
        for version in range(1, 6):
            answer = write_version(admin, owner, version)
            assert answer.status_code == 200, answer.text
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=300)
    assert not problems, problems[:3]
    assert seen, "the readers never read"


def test_two_writers_end_with_one_winner_and_no_debris(sec_server: Server, admin: httpx.Client) -> None:
    owner = "racer"
    answers: dict[int, httpx.Response] = {}
    token = admin.headers["Authorization"].split()[1]

    def writer(index: int) -> None:
        with sec_server.client(token, timeout=300) as client:
            answers[index] = write_version(client, owner, 10 + index, rows=1000 + index)

    for _round in range(3):
        answers.clear()
        in_threads(2, writer)
        assert all(a.status_code == 200 for a in answers.values()), [a.text for a in answers.values()]
        result = run(
            admin,
            "load parquet.`shared/data` as d;\n"
            "select count(*) as n, min(version) as lo, max(version) as hi from d as out;",
            owner,
        ).json()[0]
        # exactly one writer's complete data
        assert result["lo"] == result["hi"] and result["hi"] in (10, 11)
        assert result["n"] == 1000 + (result["hi"] - 10)
        shared = Path(sec_server.data_root) / owner / "shared"
        debris = [p.name for p in shared.iterdir() if p.name != "data"]
        assert debris == [], debris
