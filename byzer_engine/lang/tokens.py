"""The tokenizer: one compiled master regex turns script text into tokens.

Whitespace and comments (``-- ...``, ``/* ... */``) are dropped; a ``/*+ hint */`` is kept (it belongs
to the SQL). Strings keep their quotes and escapes exactly as written. A word may carry ``${...}`` and
``$name`` pieces, so templated names (``tbl_${day}``) stay one token until rendering.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from byzer_engine.lang.source import Source

WORD = "word"
STRING = "string"  # 'x' or "x"
BLOCK = "block"  # '''x'''
BACKQUOTED = "backquoted"  # `x`
HINT = "hint"  # /*+ ... */
SEMI = "semi"  # ;
PUNCT = "punct"  # any other single character


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


# A word: letters, digits, ``_``, ``$name`` and whole ``${...}`` references (quoted parts may hold
# braces: ``${date.toString("{x}")}``); a reference never spans lines or statements.
_VARIABLE_BODY = r"""\{(?:[^{}'";\n]|'[^'\n]*'|"[^"\n]*")*\}"""
_WORD = r"(?:\w+|\$(?:" + _VARIABLE_BODY + r")?)+"
# Strings keep backslash escapes; a ``${...}`` inside may quote with the same quote character
# (``"${date.toString("yyyyMMdd")}"``), as Byzer users write it.
_STRING = (
    r"'(?!'')(?:[^'\\$]|\\.|\$(?:" + _VARIABLE_BODY + r")?)*'"
    r'|"(?:[^"\\$]|\\.|\$(?:' + _VARIABLE_BODY + r")?)*\""
)

# Leading whitespace (and a byte-order mark) is folded into each match (half as many matches as separate whitespace tokens),
# and the most frequent tokens (words, common punctuation) come first: this loop dominates parse time.
_MASTER = re.compile(
    r"""[\s\ufeff]*(?:
    (?P<word>"""
    + _WORD
    + r""")
  | (?P<punct>[(),.=*<>+]|-(?!-))
  | (?P<string>"""
    + _STRING
    + r""")
  | (?P<semi>;)
  | (?P<line_comment>--[^\n]*)
  | (?P<hint>/\*\+.*?\*/)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<block>'''.*?''')
  | (?P<bad_block>''')
  | (?P<backquoted>`(?:[^`]|``)*`)
  | (?P<unterminated>['"`]|/\*)
  | (?P<other>\S)
  | (?P<end>\Z)
    )""",
    re.VERBOSE | re.DOTALL,
)

_KINDS = {
    "word": WORD,
    "string": STRING,
    "block": BLOCK,
    "backquoted": BACKQUOTED,
    "hint": HINT,
    "semi": SEMI,
    "punct": PUNCT,
    "other": PUNCT,
}
_UNTERMINATED = {
    "'": "unterminated string: no closing '",
    '"': 'unterminated string: no closing "',
    "`": "unterminated backquoted name: no closing `",
    "/*": "unterminated comment: no closing */",
    "'''": "unterminated block string: no closing '''",
}


def tokenize(source: Source) -> list[Token]:
    """Every significant token of ``source``; raises ``ByzerSyntaxError`` on an unterminated literal."""
    tokens: list[Token] = []
    append = tokens.append
    kinds = _KINDS
    new = tuple.__new__  # skips NamedTuple's Python-level __new__: this loop runs once per token
    for match in _MASTER.finditer(source.text):
        group = match.lastgroup
        kind = kinds.get(group)  # type: ignore[arg-type]
        if kind is None:
            if group == "unterminated" or group == "bad_block":
                text = match.group(group)
                raise source.error(_UNTERMINATED[text], match.start(group))
            continue  # comments and trailing whitespace
        text = match.group(group)  # type: ignore[arg-type]
        end = match.end()
        append(new(Token, (kind, text, end - len(text), end)))
    return tokens


def unquote(token: Token) -> str:
    """The inner text of a string, block string or backquoted token (escapes kept as written)."""
    text = token.text
    if token.kind == BLOCK:
        return text[3:-3]
    if token.kind == BACKQUOTED:
        return text[1:-1].replace("``", "`")
    if token.kind == STRING:
        return text[1:-1]
    return text
