"""Typed statements: what the parser produces and the runtime executes.

Every statement is a frozen dataclass carrying its ``Span`` (where it came from in the script, and its
raw text). Names, strings and SQL keep their original text; keywords are normalised to lower case.
``to_dict`` gives the JSON shape shared by ``byzer check --json`` and ``/run/script?executeMode=analyze``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, ClassVar

from byzer_engine.lang.errors import Position


@dataclass(frozen=True)
class Span:
    """Where a statement sits in its file (1-based), and its raw text without the final ``;``."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    raw: str

    def position(self, line_text: str = "") -> Position:
        if not line_text and self.raw:
            # Pad so the caret under ``column`` lines up with the statement's first character.
            line_text = " " * (self.column - 1) + self.raw.splitlines()[0]
        return Position(self.file, self.line, self.column, line_text)


class SaveMode(str, Enum):  # noqa: UP042
    OVERWRITE = "overwrite"
    APPEND = "append"
    ERROR_IF_EXISTS = "errorIfExists"
    IGNORE = "ignore"


class ValueKind(str, Enum):  # noqa: UP042
    """How a value was written: it changes nothing but how it is shown back and re-rendered."""

    QUOTED = "quoted"  # 'x' or "x"
    BLOCK = "block"  # '''x'''
    BACKQUOTED = "backquoted"  # `x`
    RAW = "raw"  # a bare word (macro arguments, set values such as numbers)


@dataclass(frozen=True)
class Statement:
    """Base of every statement."""

    span: Span
    kind: ClassVar[str] = "statement"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "span":
                out.update(
                    file=value.file,
                    line=value.line,
                    column=value.column,
                    end_line=value.end_line,
                    end_column=value.end_column,
                    raw=value.raw,
                )
            elif isinstance(value, Enum):
                out[f.name] = value.value
            elif isinstance(value, Statement):
                out[f.name] = value.to_dict()
            elif isinstance(value, tuple):
                out[f.name] = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
            else:
                out[f.name] = value
        return out

    @property
    def output_table(self) -> str | None:
        """The table this statement creates, if any."""
        return None

    @property
    def tables_read(self) -> tuple[str, ...]:
        """Tables this statement reads (for dependency analysis)."""
        return ()


@dataclass(frozen=True)
class Load(Statement):
    """``load FORMAT.`PATH` [where ...] as NAME;``"""

    format: str
    path: str
    options: dict[str, str] = field(default_factory=dict)
    table: str = ""
    kind: ClassVar[str] = "load"

    @property
    def output_table(self) -> str | None:
        return self.table


@dataclass(frozen=True)
class Select(Statement):
    """``select ... as NAME;``: ``sql`` is the query without the final ``as NAME``."""

    sql: str
    table: str
    reads: tuple[str, ...] = ()
    kind: ClassVar[str] = "select"

    @property
    def output_table(self) -> str | None:
        return self.table

    @property
    def tables_read(self) -> tuple[str, ...]:
        return self.reads


@dataclass(frozen=True)
class Save(Statement):
    """``save [MODE] TABLE as FORMAT.`PATH` [where ...] [partitionBy c1, c2];``"""

    table: str
    format: str
    path: str
    mode: SaveMode = SaveMode.ERROR_IF_EXISTS
    options: dict[str, str] = field(default_factory=dict)
    partition_by: tuple[str, ...] = ()
    kind: ClassVar[str] = "save"

    @property
    def tables_read(self) -> tuple[str, ...]:
        return (self.table,)


@dataclass(frozen=True)
class SetVar(Statement):
    """``set KEY = VALUE [where type=... and mode=... and scope=...];``"""

    key: str
    value: str
    value_kind: ValueKind = ValueKind.QUOTED
    options: dict[str, str] = field(default_factory=dict)
    kind: ClassVar[str] = "set"

    @property
    def set_type(self) -> str:
        return self.options.get("type", "text")

    @property
    def mode(self) -> str:
        return self.options.get("mode", "runtime")

    @property
    def scope(self) -> str:
        return self.options.get("scope", "request")


@dataclass(frozen=True)
class Connect(Statement):
    """``connect FORMAT where ... as ALIAS;``"""

    format: str
    options: dict[str, str] = field(default_factory=dict)
    alias: str = ""
    kind: ClassVar[str] = "connect"


@dataclass(frozen=True)
class RunET(Statement):
    """``train|run|predict TABLE as ET.`PATH` [where ...] [as|into OUT];``"""

    verb: str  # "train" | "run" | "predict"
    table: str
    et: str
    path: str
    options: dict[str, str] = field(default_factory=dict)
    output: str | None = None
    kind: ClassVar[str] = "run"

    @property
    def output_table(self) -> str | None:
        return self.output

    @property
    def tables_read(self) -> tuple[str, ...]:
        return (self.table,)


@dataclass(frozen=True)
class Register(Statement):
    """``register ET.`PATH` as FUNC [where ...];``"""

    et: str
    path: str
    function: str
    options: dict[str, str] = field(default_factory=dict)
    kind: ClassVar[str] = "register"


@dataclass(frozen=True)
class Include(Statement):
    """``include TYPE.`PATH`;``: normally resolved before parsing; kept when includes are skipped."""

    type: str
    path: str
    options: dict[str, str] = field(default_factory=dict)
    kind: ClassVar[str] = "include"


@dataclass(frozen=True)
class RawSql(Statement):
    """``insert`` / ``create`` / ``drop`` / ``refresh``: handed to Spark SQL as written."""

    verb: str
    sql: str
    reads: tuple[str, ...] = ()
    kind: ClassVar[str] = "sql"

    @property
    def tables_read(self) -> tuple[str, ...]:
        return self.reads


@dataclass(frozen=True)
class Explain(Statement):
    """``explain [extended|formatted|codegen|cost] STATEMENT;``: what STATEMENT would do, run nothing.

    ``target`` None (``!explain;`` alone): every later statement of the script is explained instead of
    run. A select target may leave out its ``as NAME`` (``table`` is then empty), as in Spark's EXPLAIN.
    """

    target: Statement | None = None
    mode: str = ""
    kind: ClassVar[str] = "explain"

    @property
    def tables_read(self) -> tuple[str, ...]:
        return self.target.tables_read if self.target is not None else ()


@dataclass(frozen=True)
class MacroArg:
    value: str
    value_kind: ValueKind = ValueKind.RAW

    def to_dict(self) -> dict[str, str]:
        return {"value": self.value, "value_kind": self.value_kind.value}


@dataclass(frozen=True)
class Macro(Statement):
    """``!name args;``: expanded (``lang.macros.expand``) just before it runs, when variables are known."""

    name: str
    args: tuple[MacroArg, ...] = ()
    kind: ClassVar[str] = "macro"


@dataclass(frozen=True)
class Branch(Statement):
    """``!if`` / ``!elif`` / ``!else`` / ``!fi``: control flow the runtime evaluates in order."""

    branch: str  # "if" | "elif" | "else" | "fi"
    condition: str = ""
    kind: ClassVar[str] = "branch"
