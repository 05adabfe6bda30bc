"""Medians with their range, and paired ratios."""

import statistics


def med(values: list[float]) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def ratios(a: list[float], b: list[float]) -> dict | None:
    """a[i] / b[i] for paired repetitions (the same rep of an interleaved A/B)."""
    pairs = [x / y for x, y in zip(a, b, strict=False) if x is not None and y]
    return med(pairs)


def p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q / 100 * len(values) + 0.5) - 1))
    return values[k]


def fmt(m: dict | None, unit: str = "", digits: int = 1) -> str:
    if m is None:
        return "-"
    if m["n"] == 1 or m["min"] == m["max"]:
        return f"{m['median']:,.{digits}f}{unit}"
    return f"{m['median']:,.{digits}f}{unit} ({m['min']:,.{digits}f}-{m['max']:,.{digits}f})"
