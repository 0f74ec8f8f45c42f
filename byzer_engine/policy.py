"""The engine's one security policy: what may run code, and where an owner's paths may lead.

Every place that runs a process or user code, or touches a path, asks this object; nothing else
decides. A refusal is a ``ByzerAuthError`` (HTTP 403) that names the construct and the switch that
would allow it.

The switches come from ``EngineConfig`` (flags > ``BYZER_*`` > config file > defaults):

| switch | governs | ``byzer run`` | ``byzer serve`` |
|---|---|---|---|
| ``allow_shell`` | ``set ... type="shell"``, SQL that starts a process (``TRANSFORM ... USING``, ``reflect``, ``java_method``) | off | off |
| ``allow_code`` | user code compiled or run by the engine: ``ScriptUDF`` (python, scala, java), Byzer-python (``run command as Ray``, ``!ray``) | on | off |
| ``allow_any_path`` | paths outside the owner's home | on | off |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from byzer_engine.errors import ByzerAuthError


@dataclass(frozen=True)
class Construct:
    """A kind of thing a script can ask for that the policy governs, and the switch that allows it."""

    name: str
    switch: str

    @property
    def flag(self) -> str:
        """The ``byzer serve`` flag of this construct's switch."""
        return "--" + self.switch.replace("_", "-")


SHELL = Construct("shell", "allow_shell")
SQL_PROCESS = Construct("sql-process", "allow_shell")
SCRIPT_UDF = Construct("script-udf", "allow_code")
PYTHON = Construct("python", "allow_code")


@dataclass(frozen=True)
class Policy:
    allow_shell: bool = False
    allow_code: bool = False
    allow_any_path: bool = True

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        """The policy of an ``EngineConfig`` (anything with the switch attributes)."""
        return cls(
            allow_shell=bool(getattr(config, "allow_shell", False)),
            allow_code=bool(getattr(config, "allow_code", False)),
            allow_any_path=bool(getattr(config, "allow_any_path", True)),
        )

    def allows(self, construct: Construct) -> bool:
        return bool(getattr(self, construct.switch))

    def require(self, construct: Construct, what: str) -> None:
        """Raises ``ByzerAuthError`` naming ``what`` unless the policy allows ``construct``."""
        if not self.allows(construct):
            raise ByzerAuthError(
                f"{what} is not allowed by this engine ({construct.switch} is off; start it with {construct.flag})"
            )


__all__ = ["PYTHON", "SCRIPT_UDF", "SHELL", "SQL_PROCESS", "Construct", "Policy"]
