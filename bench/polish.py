"""The polish alone (routing/optimizer/polish.py) on a generated field day: one VROOM
search's plan (SLA deadlines as window ends, as the solver's start), then the polish
for a fixed time on one core. Prints the cost before and after and the polish's log.

    .venv/bin/python bench/polish.py --day 60x600 --seed 1 --seconds 15 [--rng 1]
        [--ruin 20] [--accept 0.002]

The README's "Large days: the last 70 % polishes" figures for the polish alone come
from this (a figure for the search before a change: run it at that commit); the whole
solve is measured by `bench/solver.py --fielddays`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    from bench.fieldservice import generate
    from routing.optimizer.feasibility import prefilter
    from routing.optimizer.objective import solution_key
    from routing.optimizer.polish import polish
    from routing.optimizer.solver import NO_SLOT
    from routing.optimizer.vroom_json import parse_problem
    from routing.optimizer.vroom_start import checked_solution, vroom_routes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", default="60x600", help="technicians x jobs")
    parser.add_argument("--seed", type=int, default=1, help="the generated day's seed")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rng", type=int, default=1, help="the polish's random seed")
    parser.add_argument("--ruin", type=int, default=20)
    parser.add_argument("--accept", type=float, default=0.002)
    args = parser.parse_args(argv)
    technicians, jobs = (int(x) for x in args.day.split("x"))
    problem = parse_problem(generate(technicians, jobs, seed=args.seed))
    began = time.monotonic()
    raw = vroom_routes(problem, 5, 1, None, sla_as_deadline=True, searches=1)
    start = checked_solution(problem, raw, NO_SLOT)
    vroom_s = time.monotonic() - began
    _, allowed = prefilter(problem)
    deadline = time.monotonic() + args.seconds
    polished, log = polish(
        problem, start, allowed, deadline, seed=args.rng, ruin=args.ruin, accept=args.accept
    )
    before, after = solution_key(problem, start), solution_key(problem, polished)
    print(
        f"{args.day} s{args.seed} rng {args.rng}: VROOM (one search, {vroom_s:.1f} s) "
        f"{before[2]:.0f} -> polished {after[2]:.0f} in {args.seconds:g} s; "
        f"served priority {-before[0]:.0f} -> {-after[0]:.0f}, jobs {-before[1]:.0f} -> "
        f"{-after[1]:.0f}"
    )
    print(json.dumps(log.as_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
