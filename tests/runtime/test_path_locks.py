"""The readers/overwriters claims of one path inside one engine (no Spark needed)."""

from __future__ import annotations

import threading
import time

from byzer_engine.runtime.sources import path_locks


def test_a_reader_that_waited_for_a_swap_still_holds_off_the_next_one() -> None:
    path = "/data/shared/t"
    swap_entered = threading.Event()
    finish_first_swap = threading.Event()
    reader_claimed = threading.Event()
    release_reader = threading.Event()
    second_swap_at: list[float] = []
    reader_released_at: list[float] = []

    def first_writer() -> None:
        with path_locks.swapping(path):
            swap_entered.set()
            finish_first_swap.wait(10)

    def reader() -> None:
        with path_locks.script_reads():
            path_locks.note_reads([path])  # waits for the first swap
            reader_claimed.set()
            release_reader.wait(10)
            reader_released_at.append(time.monotonic())

    def second_writer() -> None:
        with path_locks.swapping(path):
            second_swap_at.append(time.monotonic())

    writer = threading.Thread(target=first_writer)
    writer.start()
    assert swap_entered.wait(10)
    reading = threading.Thread(target=reader)
    reading.start()
    time.sleep(0.3)  # the reader is waiting on the swap in progress
    assert not reader_claimed.is_set()
    finish_first_swap.set()
    writer.join(10)
    assert reader_claimed.wait(10)

    second = threading.Thread(target=second_writer)
    second.start()
    time.sleep(0.5)
    assert not second_swap_at, "the second swap went ahead while a reader held the path"
    release_reader.set()
    reading.join(10)
    second.join(10)
    assert second_swap_at and second_swap_at[0] >= reader_released_at[0]
