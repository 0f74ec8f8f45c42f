"""The character classes the text feature ETs share."""

from __future__ import annotations

from byzer_engine.runtime.ets.feature.chars import is_cjk, is_han
from byzer_engine.runtime.ets.feature.extract import text_facts


def test_kana_is_cut_as_cjk_but_not_counted_as_chinese() -> None:
    assert is_cjk("中") and is_han("中")
    assert is_cjk("か") and is_cjk("カ") and not is_han("か")
    assert not is_cjk("a") and not is_han("1")


def test_chinese_percentage_counts_han_only() -> None:
    facts = text_facts("中文かな")
    assert facts["chinese"] == 50
