"""Pure-Python route optimizer (OR-Tools) with a VROOM-shaped JSON interface.

Imports nothing from Django or the rest of the project, so it can run in a Celery
worker, a CLI or a benchmark. See README.md in this folder for the JSON subset.
"""

from .checker import Violation, check, check_solution
from .model import Job, Problem, ProblemError, Solution, Vehicle
from .solver import SearchOptions, solve
from .vroom_json import parse_problem, solution_to_json

__all__ = [
    "Job",
    "Problem",
    "ProblemError",
    "SearchOptions",
    "Solution",
    "Vehicle",
    "Violation",
    "check",
    "check_solution",
    "parse_problem",
    "solution_to_json",
    "solve",
]
