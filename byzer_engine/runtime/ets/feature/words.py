"""Words of a text, the same at train time and in the registered function (TfIdfInPlace, Word2VecInPlace).

Byzer segments with the ansj Chinese segmenter and its dictionaries; this engine has no such
segmenter, so a text is cut this way instead:
- with ``split`` set (one or more characters), on that string, as Byzer does;
- otherwise into runs of letters or digits (lower-cased), each other visible character that is not
  punctuation on its own, except where a run of CJK characters starts with a word of the user's
  dictionaries (``dicPaths``) or a stop word, which is then kept whole (longest match first);
- words of ``stopWordPath`` are dropped; ``nGrams="2,3"`` adds the n-grams of the remaining words
  (joined with no separator, as Byzer's Chinese n-grams are).

Dictionary and stop-word files hold one word per line (the first field of a tab- or space-separated
line), read through Spark so they may live on any file system Spark reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.feature.chars import is_cjk

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class WordRules:
    split: str | None = None
    dictionary: frozenset[str] = frozenset()
    stop_words: frozenset[str] = frozenset()
    n_grams: tuple[int, ...] = ()
    longest: int = field(default=1)

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "dictionary": sorted(self.dictionary),
            "stop_words": sorted(self.stop_words),
            "n_grams": list(self.n_grams),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> WordRules:
        return make_rules(
            document.get("split"),
            frozenset(document.get("dictionary", ())),
            frozenset(document.get("stop_words", ())),
            tuple(document.get("n_grams", ())),
        )

    def words(self, text: str | None) -> list[str]:
        if text is None:
            return []
        cut = [p for p in text.split(self.split) if p.strip()] if self.split else self._segment(text)
        pieces = [p for p in cut if p not in self.stop_words]
        out = list(pieces)
        for n in self.n_grams:
            out.extend("".join(pieces[i : i + n]) for i in range(len(pieces) - n + 1))
        return out

    def _segment(self, text: str) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if is_cjk(char):
                word = self._dictionary_word(text, i)
                out.append(word)
                i += len(word)
                continue
            match = _WORD.match(text, i)
            if match is not None:
                out.append(match.group(0).lower())
                i = match.end()
                continue
            if not char.isspace() and not unicodedata.category(char).startswith(("P", "S", "C", "Z")):
                out.append(char)
            i += 1
        return out

    def _dictionary_word(self, text: str, start: int) -> str:
        for size in range(min(self.longest, len(text) - start), 1, -1):
            candidate = text[start : start + size]
            if candidate in self.dictionary or candidate in self.stop_words:
                return candidate
        return text[start]


def make_rules(
    split: str | None,
    dictionary: frozenset[str] = frozenset(),
    stop_words: frozenset[str] = frozenset(),
    n_grams: tuple[int, ...] = (),
) -> WordRules:
    longest = max((len(w) for w in dictionary | stop_words), default=1)
    return WordRules(split or None, dictionary, stop_words, n_grams, longest)


def n_grams_option(value: str | None, et: str) -> tuple[int, ...]:
    if not value or not value.strip():
        return ()
    try:
        sizes = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise ByzerError(f'{et}: nGrams must be whole numbers such as "2,3", not {value!r}') from None
    if any(n < 2 for n in sizes):
        raise ByzerError(f"{et}: each nGrams size must be at least 2, not {value!r}")
    return sizes


def read_words(spark: SparkSession, paths: str | None, resolve: Any) -> frozenset[str]:
    """The first field of each line of the files at ``paths`` (comma-separated)."""
    if not paths or not paths.strip():
        return frozenset()
    words: set[str] = set()
    for path in (p.strip() for p in paths.split(",") if p.strip()):
        for row in spark.read.text(resolve(path)).collect():
            line = str(row[0]).strip()
            if line:
                words.add(line.split()[0])
    return frozenset(words)


def rules_from_options(spark: SparkSession, options: dict[str, str], resolve: Any, et: str) -> WordRules:
    return make_rules(
        options.get("split"),
        read_words(spark, options.get("dicPaths"), resolve),
        read_words(spark, options.get("stopWordPath"), resolve),
        n_grams_option(options.get("nGrams"), et),
    )
