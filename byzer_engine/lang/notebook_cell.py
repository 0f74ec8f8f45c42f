"""The notebook's Python cell: ``#%python``, then ``#%key=value`` header lines, then the code.

Byzer's notebook clients send such a cell as the script; it stands for ``!python env|conf`` lines plus
one ``run command as Ray`` statement. ``rewrite`` turns the cell into that script text with every line
where it was (the header lines become the ``!python`` statements, the code keeps its line numbers), so
errors and tracebacks point at the cell's own lines.
"""

from __future__ import annotations

import re

from byzer_engine.lang.errors import ByzerSyntaxError, Position

CELL_MARK = "#%python"
_HEADER = re.compile(r"^\s*#%([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)$")
# Header keys that are not conf keys.
_INPUT, _OUTPUT, _ENV = "input", "output", "env"


def is_cell(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lower() == CELL_MARK
    return False


def rewrite(text: str, file: str = "<script>") -> str:
    """The Byzer script a ``#%python`` cell stands for (same line count up to the code's end)."""
    lines = text.splitlines()
    mark = next(i for i, line in enumerate(lines) if line.strip())
    out = [""] * (mark + 1)
    input_table, output_table = "command", ""
    index = mark + 1
    while index < len(lines):
        match = _HEADER.match(lines[index])
        if not match:
            break
        key, value = match.group(1), match.group(2).strip()
        if "'''" in value:
            raise ByzerSyntaxError(
                "a #% header value cannot contain '''", Position(file, index + 1, 1, lines[index])
            )
        if key == _INPUT:
            input_table = value or "command"
            out.append("")
        elif key == _OUTPUT:
            output_table = value
            out.append("")
        elif key == _ENV:
            out.append(f"!python env '''PYTHON_ENV={value}''';")
        else:
            out.append(f"!python conf '''{key}={value}''';")
        index += 1
    code = "\n".join(lines[index:])
    if "'''" in code:
        at = next(i for i in range(index, len(lines)) if "'''" in lines[i])
        raise ByzerSyntaxError(
            "the code of a #%python cell cannot contain ''' (use \"\"\" for strings)",
            Position(file, at + 1, lines[at].index("'''") + 1, lines[at]),
        )
    options = f'inputTable="{input_table}"'
    if output_table:
        options += f' and outputTable="{output_table}"'
    tail = f" as {output_table}" if output_table else ""
    out[-1] = (out[-1] + " " if out[-1] else "") + f"run command as Ray.`` where {options} and code='''"
    return "\n".join(out) + "\n" + code + f"\n'''{tail};\n"


__all__ = ["CELL_MARK", "is_cell", "rewrite"]
