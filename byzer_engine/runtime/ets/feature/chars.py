"""Character classes the text feature ETs share.

``is_cjk``: a character written without spaces between words (Han ideographs, CJK compatibility
ideographs, Japanese kana), so the word splitter cuts it out as a word of its own. ``is_han``: a
Chinese character (the ideographs only; kana are not), which FeatureExtractInPlace's ``chinese``
percentage counts.
"""

from __future__ import annotations


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def is_cjk(char: str) -> bool:
    return is_han(char) or "\u3040" <= char <= "\u30ff"
