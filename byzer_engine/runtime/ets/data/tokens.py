"""TokenAnalysis and TokenExtract: Chinese word segmentation (jieba) of a text column, saved at PATH."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import (
    empty_result,
    flag,
    is_predict,
    need_column,
    need_table,
    required,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_TOKENIZERS: dict[tuple[tuple[str, str | None], ...], Any] = {}


def dictionary_words(spark: Any, resolve: Any, options: dict[str, str]) -> list[tuple[str, str | None]]:
    """(word, nature or None) from the files of ``dic.paths`` (one ``word[ nature]`` per line, tab or
    space separated) and the comma-separated ``wordsArray``."""
    words: list[tuple[str, str | None]] = []
    for location in (p.strip() for p in options.get("dic.paths", "").split(",")):
        if not location:
            continue
        try:
            lines = [row[0] for row in spark.read.text(resolve(location)).collect()]
        except Exception:
            raise ByzerError(f"cannot read the dictionary {location}") from None
        for line in lines:
            parts = line.strip().split()
            if parts:
                words.append((parts[0], parts[1] if len(parts) > 1 and not parts[1].isdigit() else None))
    words.extend((w.strip(), None) for w in options.get("wordsArray", "").split(",") if w.strip())
    return words


def _tokenizer(words: tuple[tuple[str, str | None], ...]) -> Any:
    """A jieba part-of-speech tokenizer that knows ``words``, one per Python worker and dictionary."""
    found = _TOKENIZERS.get(words)
    if found is None:
        import logging

        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)
        base = jieba.Tokenizer()
        found = jieba.posseg.POSTokenizer(base)
        for word, nature in words:
            base.add_word(word, tag=nature)
            if nature:
                found.word_tag_tab[word] = nature
        _TOKENIZERS[words] = found
    return found


def segment(
    text: str | None,
    words: tuple[tuple[str, str | None], ...],
    *,
    keep_natures: frozenset[str],
    with_nature: bool,
    deduplicate: bool,
    separators: str,
    only_dictionary: bool,
) -> list[str] | None:
    if text is None:
        return None
    tokenizer = _tokenizer(words)
    pieces = [text]
    for separator in separators:
        pieces = [part for piece in pieces for part in piece.split(separator)]
    known = {word for word, _ in words}
    terms: list[tuple[str, str]] = []
    for piece in pieces:
        for pair in tokenizer.cut(piece):
            word, nature = pair.word, pair.flag
            if not word.strip():
                continue
            if only_dictionary and word not in known:
                continue
            if keep_natures and nature not in keep_natures:
                continue
            terms.append((word, nature))
    if deduplicate:
        terms = list(dict.fromkeys(terms))
    return [f"{w}/{n}" if with_nature else w for w, n in terms]


class TokenAnalysis(ET):
    name = "TokenAnalysis"
    alg_type = "undefined"
    doc = (
        "Segments the Chinese text of inputCol into words (jieba) and saves (keywords array<string>, idCol) "
        "as parquet at PATH; words of dic.paths and wordsArray are kept whole."
    )
    params: ClassVar[tuple[ETParam, ...]] = (
        ETParam("inputCol", "the text column", required=True),
        ETParam("idCol", "the id column saved next to the words", required=True),
        ETParam(
            "dic.paths", "comma-separated dictionary files: one word (and optionally its nature) per line"
        ),
        ETParam("wordsArray", "comma-separated extra dictionary words"),
        ETParam("split", "characters at which the text is cut before it is segmented"),
        ETParam("ignoreNature", "false: each word as word/nature", default="true"),
        ETParam("filterNatures", "comma-separated natures to keep (e.g. n,v); default all"),
        ETParam("deduplicateResult", "true: each word once", default="false"),
    )
    example = (
        "select 1 as id, '我爱北京天安门' as content as docs;\n"
        'train docs as TokenAnalysis.`tokens/docs` where inputCol="content" and idCol="id";\n'
        "load parquet.`tokens/docs` as words;"
    )
    only_dictionary = False

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        if is_predict(ctx):
            return empty_result(ctx.spark)
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType, StringType

        df = need_table(self, table)
        text_col = required(self, options, "inputCol")
        id_col = required(self, options, "idCol")
        need_column(self, df, text_col, "inputCol")
        need_column(self, df, id_col, "idCol")
        if not path.strip():
            raise ByzerError(f"{self.name}: train needs a PATH to save the words at")
        words = tuple(dictionary_words(ctx.spark, ctx.resolve_path, options))
        if self.only_dictionary and not words:
            raise ByzerError(f"{self.name}: dic.paths (or wordsArray) is required: only its words are kept")
        settings = {
            "keep_natures": frozenset(
                n.strip() for n in options.get("filterNatures", "").split(",") if n.strip()
            ),
            "with_nature": not flag(self, options, "ignoreNature", True),
            "deduplicate": flag(self, options, "deduplicateResult", False),
            "separators": options.get("split", ""),
            "only_dictionary": self.only_dictionary,
        }

        # A lambda: pyspark reads the type hints of a named function as a pandas UDF's.
        cut = F.udf(lambda text: segment(text, words, **settings), ArrayType(StringType()))  # type: ignore[arg-type]
        result = df.select(cut(F.col(f"`{text_col}`").cast("string")).alias("keywords"), F.col(f"`{id_col}`"))
        result.write.mode("overwrite").parquet(ctx.resolve_path(path))
        return empty_result(ctx.spark)


class TokenExtract(TokenAnalysis):
    name = "TokenExtract"
    alg_type = "undefined"
    doc = (
        "Like TokenAnalysis, but keeps only the words of the dictionaries (dic.paths, wordsArray): saves "
        "(keywords array<string>, idCol) as parquet at PATH."
    )
    params = (
        ETParam("inputCol", "the text column", required=True),
        ETParam("idCol", "the id column saved next to the words", required=True),
        ETParam(
            "dic.paths", "comma-separated dictionary files: one word (and optionally its nature) per line"
        ),
        ETParam("wordsArray", "comma-separated extra dictionary words"),
    )
    example = (
        "select 1 as id, '我爱北京天安门' as content as docs;\n"
        'train docs as TokenExtract.`tokens/extracted` where inputCol="content" and idCol="id" '
        'and wordsArray="天安门";\n'
        "load parquet.`tokens/extracted` as words;"
    )
    only_dictionary = True
