"""The scenarios of issue 13. Each takes the run context and returns a dict of results;
Vectis and its baselines are interleaved (A/B, then B/A) within every repetition."""

from bench.harness.scenarios.bulk import s4
from bench.harness.scenarios.common import (
    FULL,
    QUICK,
    Ctx,
    baseline_catalog,
    post_orders,
    run_bpy,
    run_bsql,
    uniform_catalog,
)
from bench.harness.scenarios.imports import s8, s8_profiles
from bench.harness.scenarios.intake import s1, s2, s3
from bench.harness.scenarios.ledger import s6
from bench.harness.scenarios.lists import s5
from bench.harness.scenarios.webhooks import s7, s7b

SCENARIOS = {
    "S2": s2,
    "S1": s1,
    "S3": s3,
    "S4": s4,
    "S6": s6,
    "S7": s7,
    "S7b": s7b,
    "S8": s8,
    "S5": s5,
}

__all__ = [
    "FULL",
    "QUICK",
    "SCENARIOS",
    "Ctx",
    "baseline_catalog",
    "post_orders",
    "run_bpy",
    "run_bsql",
    "s8_profiles",
    "uniform_catalog",
]
