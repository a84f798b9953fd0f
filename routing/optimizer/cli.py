"""Command line: `fieldops-optimize` and `python -m routing.optimizer solve|check ...`.

Exit codes: 0 success (check: no violation), 1 check found violations or no solution,
2 unusable input (one-line message on stderr naming the file, line or JSON path).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .checker import check
from .model import Problem, ProblemError
from .ortools_search import FIRST_SOLUTION_STRATEGIES, METAHEURISTICS
from .solomon import SolomonFormatError, looks_like_solomon, parse_solomon
from .solver import SearchOptions, solve
from .vroom_json import parse_problem, solution_to_json

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Anything wrong with a file given on the command line."""


STDIN = "-"

INPUT_HELP = """\
input: a VROOM-shaped JSON problem (the subset below) or a Solomon/Homberger .txt file.

  top level   jobs, vehicles, optional matrices {"<profile>": {"durations": [[s]],
              "distances": [[m]]}} (one profile; legacy "matrix" = durations) and
              optional fieldops {"sla_penalty": 10, "road_factor": 1.3, "speed_kmh": 40}.
              Without matrices locations are [lon, lat] and travel is great-circle
              distance x road_factor at speed_kmh. "shipments" are rejected.
  job         id, location | location_index, service, skills, priority (0-100),
              time_windows [[start, end], ...], delivery | amount, description
  vehicle     id, start | start_index, end | end_index, skills, time_window, breaks
              [{id, time_windows, service}], capacity, max_travel_time, max_tasks,
              costs {fixed, per_hour, per_km}, description

fieldops extensions (VROOM ignores them):
  job.fieldops      sla_deadline (soft: service should start by then), sla_penalty
                    (cost per second late), pinned_vehicle, pinned_start,
                    in_progress (first job of pinned_vehicle's route)
  vehicle.fieldops  max_working_time (s): travel + service of the route, capped

objective, urgent first: the sum of served priorities, then the number of jobs served,
then cost (SLA lateness x sla_penalty + travel cost).

output: VROOM's solution shape plus a "fieldops" block (progress, search parameters,
stop_reason: "optimal" when a complete search finished, else "time_limit").
Full reference: routing/optimizer/README.md.
"""


def load_problem(path: str | Path, time_scale: int | None = None) -> Problem:
    """Read a VROOM-shaped JSON problem or a Solomon/Homberger text file ("-": stdin)."""
    text = sys.stdin.read() if str(path) == STDIN else _read_text(path)
    if str(path) == STDIN:
        path = "<stdin>"
    try:
        if looks_like_solomon(text):
            problem = parse_solomon(text, str(path))
        else:
            problem = parse_problem(_parse_json(text, path))
    except (ProblemError, SolomonFormatError) as error:
        raise InputError(
            f"{path}: {error}" if not str(error).startswith(str(path)) else str(error)
        ) from None
    if time_scale is not None:
        problem.time_scale = time_scale
    return problem


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise InputError(f"{path}: {error.strerror}") from None


def _parse_json(text: str, path: str | Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


def _strategies(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FIRST_SOLUTION_STRATEGIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown first-solution strategy {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(FIRST_SOLUTION_STRATEGIES)}"
        )
    return names


def _solve_command(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem, args.time_scale)
    options = SearchOptions(
        first_solutions=args.first_solutions,
        metaheuristic=args.metaheuristic,
        guided_local_search_lambda=args.gls_lambda,
        solution_limit=args.solution_limit,
        log_search=args.log_search,
        construction=args.construction,
    )

    def report(elapsed: float, cost: float) -> None:
        print(f"{elapsed:8.2f}s  best {cost:.3f}", file=sys.stderr)

    solution = solve(problem, args.time_limit, report if args.verbose else None, options)
    output = json.dumps(solution_to_json(solution, problem), indent=args.indent)
    if args.output:
        Path(args.output).write_text(output + "\n", encoding="utf-8")
    else:
        sys.stdout.write(output + "\n")
    if solution.code != 0:
        print(f"error: {solution.error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check_command(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem)
    solution = _parse_json(_read_text(args.solution), args.solution)
    violations = check(problem, solution)
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} violation(s)", file=sys.stderr)
        return EXIT_FAILED
    routes = len(solution.get("routes", []))
    unassigned = len(solution.get("unassigned", []))
    print(f"feasible: {routes} routes, {unassigned} unassigned")
    return EXIT_OK


def _add_solve_arguments(solve_parser: argparse.ArgumentParser) -> None:
    solve_parser.add_argument(
        "--time-limit", "-t", type=float, default=30.0, help="seconds (default 30)"
    )
    solve_parser.add_argument("--output", "-o", help="write the solution here instead of stdout")
    solve_parser.add_argument(
        "--first-solutions",
        type=_strategies,
        default=SearchOptions.first_solutions,
        help="comma-separated OR-Tools first-solution strategies to compare",
    )
    solve_parser.add_argument(
        "--metaheuristic", choices=METAHEURISTICS, default=SearchOptions.metaheuristic
    )
    solve_parser.add_argument(
        "--gls-lambda", type=float, default=SearchOptions.guided_local_search_lambda
    )
    solve_parser.add_argument(
        "--solution-limit", type=int, help="stop after N solutions (reproducible)"
    )
    solve_parser.add_argument(
        "--construction",
        choices=("vroom", "ortools"),
        default=SearchOptions.construction,
        help="start from VROOM's routes (default) or OR-Tools' own constructions",
    )
    solve_parser.add_argument("--time-scale", type=int, help="override the integer scaling factor")
    solve_parser.add_argument("--indent", type=int, default=None)
    solve_parser.add_argument("--verbose", "-v", action="store_true", help="progress on stderr")
    solve_parser.add_argument("--log-search", action="store_true", help="OR-Tools search log")
    solve_parser.set_defaults(handler=_solve_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m routing.optimizer",
        description=__doc__,
        epilog=INPUT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    solve_parser = commands.add_parser(
        "solve",
        help="optimise a JSON or Solomon problem",
        epilog=INPUT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve_parser.add_argument("problem", help="VROOM-shaped JSON or Solomon .txt file; - for stdin")
    _add_solve_arguments(solve_parser)
    check_parser = commands.add_parser("check", help="verify a solution against its problem")
    check_parser.add_argument("problem")
    check_parser.add_argument("solution")
    check_parser.set_defaults(handler=_check_command)
    return parser


def build_tool_parser() -> argparse.ArgumentParser:
    """`fieldops-optimize`: VROOM's `vroom` habits (-i file, else stdin; -o file, else
    stdout). `fieldops-optimize check PROBLEM SOLUTION` verifies a solution."""
    parser = argparse.ArgumentParser(
        prog="fieldops-optimize",
        description="Optimise technicians' routes (OR-Tools + VROOM) and print the "
        "solution as JSON. Reads the problem from -i FILE or standard input. "
        "`fieldops-optimize check PROBLEM SOLUTION` checks a solution instead.",
        epilog=INPUT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--input", "-i", dest="problem", default=STDIN, help="problem file (default: stdin)"
    )
    _add_solve_arguments(parser)
    return parser


def console(argv: list[str] | None = None) -> int:
    """Entry point of the installed `fieldops-optimize` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["solve"], ["check"]):
        return main(argv)
    args = build_tool_parser().parse_args(argv)
    try:
        return _solve_command(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
