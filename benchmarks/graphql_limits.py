"""How much the limiter design costs per GraphQL execution, against naive set-ups, in one process.

Runs the same small query through four schemas:
  baseline   no extensions at all
  naive      strawberry's QueryDepthLimiter/MaxAliasesLimiter/MaxTokensLimiter as factories
             (new rule classes each request, so the validation cache could never hit)
  ours       graphql_schema.schema.build_schema: limits built once + ParserCache + ValidationCache
and prints µs per execution and the ratio to the baseline. Timing never fails anything.

    .venv/bin/python -m benchmarks.graphql_limits
"""

from __future__ import annotations

import asyncio
import time

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from backend.settings import Settings
from graphql_schema.schema import Mutation, Query, build_schema

QUERY = '{ passwordRule validateUscc(code: "91320505MA1DXY4036") { valid regionName } }'
ROUNDS = 2000


async def per_execution_us(schema: strawberry.Schema) -> float:
    """Mean microseconds per ``schema.execute`` of QUERY (after a warm-up)."""
    for _ in range(50):
        result = await schema.execute(QUERY)
        assert result.errors is None, result.errors
    started = time.perf_counter()
    for _ in range(ROUNDS):
        await schema.execute(QUERY)
    return (time.perf_counter() - started) / ROUNDS * 1e6


async def main() -> None:
    """Measure and print the three set-ups."""
    settings = Settings()
    setups = {
        "baseline (no extensions)": strawberry.Schema(query=Query, mutation=Mutation),
        "naive limiter factories": strawberry.Schema(
            query=Query,
            mutation=Mutation,
            extensions=[
                lambda: MaxTokensLimiter(max_token_count=2000),
                lambda: QueryDepthLimiter(max_depth=10),
                lambda: MaxAliasesLimiter(max_alias_count=15),
            ],
        ),
        "xinrong (limits once + caches)": build_schema(settings),
    }
    baseline = None
    print(f"{'set-up':34} {'µs/execute':>11} {'× baseline':>11}")
    for name, schema in setups.items():
        micros = await per_execution_us(schema)
        baseline = baseline or micros
        print(f"{name:34} {micros:11.1f} {micros / baseline:11.2f}")


if __name__ == "__main__":
    asyncio.run(main())
