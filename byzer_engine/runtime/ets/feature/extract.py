"""FeatureExtractInPlace: facts about a text column (contacts, links, character mix), and its functions.

The facts of one text, computed by ``text_facts`` (the same code in the ET and in the registered
functions):
- ``phone``, ``email``, ``qqwechat`` (booleans): the text holds a phone number (a mainland mobile
  number, or a number of 7+ digits with an optional area code), an e-mail address, or a QQ / WeChat
  id (``qq``, ``QQ号``, ``wechat``, ``微信``, ``vx`` followed by an id);
- ``url``, ``pic`` (counts): the links, and the pictures (``<img>`` tags and links to image files);
- ``cleanedDoc``: the text of the HTML (tags dropped, entities decoded, spaces collapsed);
  ``noEmoAndSpec``: the cleaned text without emoji and symbols (letters, digits, CJK, spaces and
  punctuation stay);
- ``blank``, ``chinese``, ``english``, ``number``, ``punctuation``, ``uninvisible``, ``mostchar`` (whole
  percentages of the cleaned text's characters): white space, CJK characters, ASCII letters, digits,
  punctuation, invisible (control and format) characters, and the most frequent character;
  ``length``: the cleaned text's length.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.feature import meta
from byzer_engine.runtime.ets.feature.chars import is_cjk, is_han
from byzer_engine.runtime.ets.ml.files import join

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<!\d)(?:\d{3,4}-)?\d{7,8}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QQ_WECHAT = re.compile(r"(?i)(?:qq号?|wechat|weixin|微信号?|vx|v信)\s*[:：]?\s*[a-z0-9_-]{5,20}")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_IMG_TAG = re.compile(r"(?i)<img\b[^>]*>")
_IMG_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+\.(?:jpe?g|png|gif|bmp|webp)\b")
_TAG = re.compile(r"(?s)<(script|style)\b.*?</\1>|<[^>]+>")
_SPACES = re.compile(r"\s+")

# (column, Spark type) in output order.
FACTS: tuple[tuple[str, str], ...] = (
    ("phone", "boolean"),
    ("email", "boolean"),
    ("qqwechat", "boolean"),
    ("url", "int"),
    ("pic", "int"),
    ("noEmoAndSpec", "string"),
    ("cleanedDoc", "string"),
    ("blank", "int"),
    ("chinese", "int"),
    ("english", "int"),
    ("number", "int"),
    ("punctuation", "int"),
    ("uninvisible", "int"),
    ("mostchar", "int"),
    ("length", "int"),
)


def clean_html(text: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def clean_emotion_and_spec(text: str) -> str:
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category[0] in "LNP" or is_cjk(char):
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()


def _percent(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def text_facts(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    cleaned = clean_html(text)
    total = len(cleaned)
    counts = Counter(cleaned)
    return {
        "phone": bool(_PHONE.search(text)),
        "email": bool(_EMAIL.search(text)),
        "qqwechat": bool(_QQ_WECHAT.search(text)),
        "url": len(_URL.findall(text)),
        "pic": len(_IMG_TAG.findall(text)) + len(_IMG_URL.findall(_IMG_TAG.sub(" ", text))),
        "noEmoAndSpec": clean_emotion_and_spec(cleaned),
        "cleanedDoc": cleaned,
        "blank": _percent(sum(1 for c in cleaned if c.isspace()), total),
        "chinese": _percent(sum(1 for c in cleaned if is_han(c)), total),
        "english": _percent(sum(1 for c in cleaned if c.isascii() and c.isalpha()), total),
        "number": _percent(sum(1 for c in cleaned if c.isdigit()), total),
        "punctuation": _percent(sum(1 for c in cleaned if unicodedata.category(c).startswith("P")), total),
        "uninvisible": _percent(sum(1 for c in cleaned if unicodedata.category(c) in ("Cc", "Cf")), total),
        "mostchar": _percent(counts.most_common(1)[0][1], total) if total else 0,
        "length": total,
    }


def _fact(name: str) -> Any:
    def value(text: str | None) -> Any:
        facts = text_facts(text)
        return None if facts is None else facts[name]

    return value


class FeatureExtractInPlace(ET):
    name = "FeatureExtractInPlace"
    alg_type = "feature engineer"
    doc = "facts about a text column (phone, email, links, character mix), written to PATH/data"
    params = (ETParam("inputCol", "the text column", default="doc"),)
    example = """\
select "call 13800138000 or mail a@b.com <img src='x.png'>" as doc as docs;
train docs as FeatureExtractInPlace.`/tmp/fe` where inputCol="doc";
register FeatureExtractInPlace.`/tmp/fe` as fe;
select fe(doc) as has_phone, fe_email(doc) as has_email, fe_cleanHtml(doc) as text from docs as out;"""

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        from pyspark.sql import functions as F

        table, column = meta.input_column(table, options, "FeatureExtractInPlace", default="doc")
        struct = ", ".join(f"{name}: {kind}" for name, kind in FACTS)
        facts = F.udf(lambda text: text_facts(None if text is None else str(text)), f"struct<{struct}>")
        out = table.withColumn("__facts", facts(F.col(column)))
        out = out.select(*table.columns, *(F.col("__facts")[name].alias(name) for name, _ in FACTS))
        base = ctx.resolve_path(path)
        out.write.mode("overwrite").parquet(join(base, "data"))
        meta.save(ctx.spark, base, {"inputCol": column})
        return meta.empty_table(ctx.spark)

    def register(self, ctx: ETContext, path: str, function: str, options: dict[str, str]) -> None:
        meta.load(ctx.spark, ctx.resolve_path(path), self.name)  # trained there
        udf = ctx.spark.udf
        udf.register(function, _fact("phone"), "boolean")
        for name, kind in FACTS:
            if name in ("uninvisible", "noEmoAndSpec", "cleanedDoc"):
                continue
            udf.register(f"{function}_{name}", _fact(name), kind)
        udf.register(f"{function}_cleanHtml", lambda t: None if t is None else clean_html(str(t)), "string")
        udf.register(
            f"{function}_cleanEmotionAndSpec",
            lambda t: None if t is None else clean_emotion_and_spec(clean_html(str(t))),
            "string",
        )
