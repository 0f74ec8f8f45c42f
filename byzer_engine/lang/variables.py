"""``VariableTable``: a script's variables with Byzer's ``set`` semantics.

- ``set_template``: the value is a template; after every set, every stored template is rendered again,
  so ``set b="${a}/b"; set a="x";`` leaves b = ``x/b`` (as in Byzer, a value that resolved keeps its
  result: setting ``a`` again later does not change ``b``).
- A value that refers to its own key (``set p="${p}/sub"``) uses the key's previous value.
- ``set_literal``: a value computed by the runtime (``type="sql"`` / ``"shell"``), never rendered.
- ``set_default``: ``type="defaultParam"``: only when the key has no value yet (callers' values win).
- ``mode="compile"``: the key is fixed by its first (compile-time) set and never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from byzer_engine.lang.templating import render


class VariableTable(Mapping[str, str]):
    """The variables of one script run (a read-only mapping of the rendered values, so it can be
    passed to ``render`` as is); initial values (built-ins, the caller's) are taken literally."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(initial or {})
        self._literal: set[str] = set(self._values)
        self._compiled: set[str] = set()

    # -- writing -------------------------------------------------------------------------------
    def set_template(self, key: str, raw_text: str, *, mode: str = "runtime") -> None:
        if key in self._compiled:
            return
        # Rendered against the values so far: a reference to the key itself means its previous value.
        self._store(key, render(raw_text, self._values), literal=False, mode=mode)

    def set_literal(self, key: str, value: str, *, mode: str = "runtime") -> None:
        if key in self._compiled:
            return
        self._store(key, value, literal=True, mode=mode)

    def set_default(self, key: str, value: str) -> None:
        if key in self._values:
            return
        self.set_template(key, value)

    def _store(self, key: str, value: str, *, literal: bool, mode: str) -> None:
        self._values[key] = value
        if literal:
            self._literal.add(key)
        else:
            self._literal.discard(key)
        if mode == "compile":
            self._compiled.add(key)
        self._merge()

    def _merge(self) -> None:
        """Byzer re-renders every stored template after each set."""
        for key, value in list(self._values.items()):
            if key in self._literal or ("$" not in value and "#" not in value):
                continue
            merged = render(value, _Without(self._values, key))
            if merged != value:
                self._values[key] = merged

    # -- reading -------------------------------------------------------------------------------
    def resolved(self) -> dict[str, str]:
        """Every variable, rendered."""
        return dict(self._values)

    def is_compiled(self, key: str) -> bool:
        return key in self._compiled

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def copy(self) -> VariableTable:
        table = VariableTable()
        table._values = dict(self._values)
        table._literal = set(self._literal)
        table._compiled = set(self._compiled)
        return table


class _Without(Mapping[str, str]):
    """``values`` minus one key: a template never expands a reference to itself."""

    def __init__(self, values: Mapping[str, str], key: str) -> None:
        self._values = values
        self._key = key

    def __getitem__(self, key: str) -> str:
        if key == self._key:
            raise KeyError(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key != self._key and key in self._values

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._values if k != self._key)

    def __len__(self) -> int:
        return len(self._values) - (1 if self._key in self._values else 0)
