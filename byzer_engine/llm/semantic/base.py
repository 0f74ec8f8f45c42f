"""What a semantic operator is: a name, a Spark result type, the request it makes of a row, and how
it reads the answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

ANSWER_TOKENS = 256


class SemanticFunction(ABC):
    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    # The Spark type of the result; "string" with ``typed_by_argument`` set: JSON text that
    # ``rewrite_typed_calls`` reads as the type given in that (0-based) argument.
    return_type: ClassVar[str] = "string"
    typed_by_argument: ClassVar[int | None] = None
    # An aggregate (``GROUP BY``): its arguments are columns of a group, reduced to one value.
    aggregate: ClassVar[bool] = False
    # How many requests ``requests`` makes of a row (what a query's progress counts before it runs).
    requests_per_row: ClassVar[int] = 1

    @abstractmethod
    def request(self, args: list[Any]) -> dict[str, Any]:
        """The request for one row's arguments (after the function name; none of them NULL)."""

    @abstractmethod
    def read(self, answer: Any) -> Any:
        """The row's value from the parsed JSON answer (or the text, for a free-text request)."""

    def requests(self, args: list[Any]) -> list[dict[str, Any]]:
        """Every request a row makes (one, unless the operator overrides this and ``combine``)."""
        return [self.request(args)]

    def combine(self, answers: list[Any]) -> Any:
        """The row's value from the answers to its ``requests``, in order."""
        return self.read(answers[0])

    @staticmethod
    def structured(
        instruction: str, schema: dict[str, Any], max_length: int = ANSWER_TOKENS
    ) -> dict[str, Any]:
        return {
            "instruction": instruction,
            "response_format": schema,
            "temperature": 0,
            "max_length": max_length,
        }
