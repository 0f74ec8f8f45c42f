"""Numbers written as Byzer (Scala on the JVM) writes them: ``Double.toString`` and ``BigDecimal``
rounding, so summary tables read the same (``57.0``, ``0.1667``, ``1.5552231521E10``)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

# What java.math.BigDecimal(String) accepts (no spaces, no underscores, no NaN/Infinity).
_JAVA_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


def java_double(value: float) -> str:
    """``java.lang.Double.toString``: plain from 10^-3 up to 10^7, else ``d.dddE±n``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    digits_tuple = Decimal(repr(magnitude)).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    exponent = len(digits) - 1 + int(digits_tuple.exponent)
    if 1e-3 <= magnitude < 1e7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :] or "0"
        else:
            whole = "0"
            fraction = "0" * (-exponent - 1) + digits
        return f"{sign}{whole}.{fraction}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{exponent}"


def is_java_decimal(text: str) -> bool:
    return bool(_JAVA_DECIMAL.match(text))


def round_half_up(text: str, scale: int) -> Decimal:
    return _CONTEXT.quantize(Decimal(text), Decimal(1).scaleb(-scale))


def rounded_double_text(text: str, scale: int) -> str:
    """``BigDecimal(text).setScale(scale, HALF_UP).toDouble.toString``; ``text`` itself if not a number."""
    if not is_java_decimal(text):
        return text
    return java_double(float(round_half_up(text, scale)))


def rounded_long_text(text: str) -> str:
    """``BigDecimal(text).setScale(0, HALF_UP).toLong.toString``; ``text`` itself if not a number."""
    if not is_java_decimal(text):
        return text
    return str(int(_CONTEXT.quantize(Decimal(text), Decimal(1))))


def scala_text(value: object) -> str:
    """``value.toString`` as Scala writes the values a Spark row holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
