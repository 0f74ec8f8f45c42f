"""Call progress without models: the rate and time left from a job group's activity, the CLI's lines."""

from __future__ import annotations

from byzer_engine.cli.progress import progress_bar, progress_line
from byzer_engine.runtime.progress.sources import Activity
from byzer_engine.runtime.progress.tracker import CallProgress, JobCalls, progress_of, snapshots


def test_nothing_done_yet_has_no_rate_and_no_time_left() -> None:
    assert progress_of(None, 96, now=10.0) == CallProgress(0, 96, 0, None, None)
    assert progress_of(None, None, now=10.0) == CallProgress(0, None, 0, None, None)


def test_the_rate_and_time_left_come_from_the_chunks_answered() -> None:
    # 40 of 100 rows in 20 s: 60 more take 30 s, of which 2 s have passed since the last chunk.
    activity = Activity(requests=40, output_tokens=400, first_started=100.0, last_finished=120.0)
    progress = progress_of(activity, 100, now=122.0)
    assert progress == CallProgress(40, 100, 400, 20.0, 28.0)
    assert progress.to_dict() == {
        "rowsDone": 40, "rowsTotal": 100, "outputTokens": 400, "tokensPerSecond": 20.0, "etaSeconds": 28.0,
    }  # fmt: skip
    # Never less than nothing left, and nothing left once every row is done.
    assert progress_of(activity, 100, now=1000.0).eta_s == 0.0
    assert progress_of(activity, 40, now=121.0).eta_s == 0.0
    # Without a total there is a rate but no time left.
    assert progress_of(activity, None, now=121.0) == CallProgress(40, None, 400, 20.0, None)


def test_a_job_without_watched_calls_or_activity_has_no_progress() -> None:
    assert snapshots([]) == {}
    assert snapshots([JobCalls("no-such-group", "ann")]) == {}


def test_a_count_not_finished_or_not_possible_is_no_total() -> None:
    calls = JobCalls("g", "ann")
    assert calls.known_total() is None  # nothing watched
    calls.watched, calls.total = True, 12
    assert calls.known_total() == 12
    calls.counting = 1
    assert calls.known_total() is None
    calls.counting, calls.unknown = 0, True
    assert calls.known_total() is None


def test_the_cli_lines_say_what_is_known() -> None:
    assert (
        progress_line(CallProgress(40, 96, 400, 35.24, 12.4))
        == "LLM: 40/96 rows (41%), 35.2 tokens/s, ETA 12s"
    )
    assert progress_line(CallProgress(3, None, 30, None, None)) == "LLM: 3 rows"
    assert progress_line(CallProgress(96, 96, 900, 30.0, 0.0)) == "LLM: 96/96 rows (100%), 30.0 tokens/s"
    assert progress_line(CallProgress(1, 500, 9, 1.0, 125.0)).endswith("ETA 2m05s")
    bar = progress_bar(CallProgress(12, 24, 0, None, None))
    assert bar.startswith("[" + "#" * 12 + "." * 12 + "] LLM: 12/24 rows (50%)")
