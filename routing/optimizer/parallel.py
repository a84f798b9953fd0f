"""A second portfolio member in its own process, so the search uses both cores.

While OR-Tools searches in the calling process, a child process runs the member that
complements it best for the problem at hand:

- **pyvrp**: PyVRP's iterated local search, when the problem translates exactly
  (`pyvrp_member.unsupported_reason`); on Solomon it finds routes OR-Tools' guided
  local search needs several times longer for;
- **vroom**: otherwise VROOM on one thread with the whole budget (`_vroom_routes`):
  on large days runs of a few searches on the problem in odd input orders (the calling
  process takes the even ones) for the first part of its time, then polish.py on the
  best of them; else exploration 1 then 5.

The child is a plain subprocess, not a multiprocessing worker: Celery's prefork workers
are daemonic and may not fork multiprocessing children. It imports this very file's
package (its root goes first on the child's path), reads the problem from a temporary
file it deletes at once, and writes the raw routes as a pickle to the stdout it was
given (anything a library prints goes to stderr). Both are our own objects exchanged
with our own child, never read from anywhere else. The routes are rescheduled with our
semantics and checked like VROOM's starting routes (`vroom_start.checked_solution`).

The member is optional: a child that cannot start, fails, answers garbage or is still
running when the parent's own time is up is ignored and the reason logged.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import vroom_start
from .feasibility import prefilter
from .model import Problem, Solution
from .objective import solution_key
from .polish import PolishSettings, polish

# Below this budget a second process costs more than it can bring.
MIN_BUDGET_S = 1.5
# The child answers at this share of the time left less a margin (writing its answer
# and exiting take about 0.1 s), so its routes can be checked and compared in time.
ANSWER_SHARE = 0.95
ANSWER_MARGIN_S = 0.15
# How long past its own time limit the parent waits for the child's answer.
GRACE_S = 0.1
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from routing.optimizer.parallel import run_child; run_child(sys.argv[2])"
)


def member_for(problem: Problem) -> str | None:
    """The member to run beside OR-Tools, or None when none is available."""
    from . import pyvrp_member

    if pyvrp_member.unsupported_reason(problem) is None:
        return "pyvrp"
    if vroom_start.available():
        return "vroom"
    return None


@dataclass
class Member:
    kind: str
    process: subprocess.Popen | None
    deadline: float  # time.time() by which the child answers
    input_path: str = ""
    started: float = field(default_factory=time.time)
    error: str | None = None

    def solution(
        self, problem: Problem, reason: str, wait_until: float
    ) -> tuple[Solution | None, dict[str, object]]:
        """The child's checked solution, waiting at most until `wait_until` (time.time());
        None, with the reason in the log, when there is none or it has no route."""
        log: dict[str, object] = {"member": self.kind}
        try:
            solution = self._solution(problem, reason, wait_until, log)
        except Exception as error:  # optional member: never sink the solve
            log["member_error"] = f"{type(error).__name__}: {error}"
            solution = None
        finally:
            self.cancel()
            log["member_s"] = round(time.time() - self.started, 3)
        if solution is not None and not solution.routes:
            log.setdefault("member_error", "no route passed our checker")
            solution = None
        return solution, log

    def _solution(
        self, problem: Problem, reason: str, wait_until: float, log: dict[str, object]
    ) -> Solution | None:
        if self.process is None:
            log["member_error"] = self.error
            return None
        try:
            out, err = self.process.communicate(timeout=max(0.05, wait_until - time.time()))
        except subprocess.TimeoutExpired:
            log["member_error"] = "still running at the deadline"
            return None
        if self.process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            log["member_error"] = lines[-1] if lines else f"exit {self.process.returncode}"
            return None
        routes = pickle.loads(out)
        solution = vroom_start.checked_solution(problem, routes, reason)
        log["member_routes"] = len(routes)
        log["member_routes_kept"] = len(solution.routes)
        return solution

    def cancel(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.communicate()  # reaps the child and closes its pipes
        if self.input_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.input_path)


def answer_deadline(time_left_s: float) -> float:
    """The time.time() by which a child started now should answer, when the parent has
    `time_left_s` seconds left."""
    return time.time() + time_left_s * ANSWER_SHARE - ANSWER_MARGIN_S


def launch(
    problem: Problem,
    kind: str,
    deadline: float,
    vroom_searches: int | None = None,
    polishing: PolishSettings | None = None,
) -> Member:
    """Start `kind` on `problem` in a child process that answers by `deadline`
    (a time.time() value). A child that cannot start gives a member with an error.
    `vroom_searches`: a VROOM member runs that many of VROOM's searches at exploration 5
    (None: exploration 1, then 5 if time is left; see `_vroom_routes`); it then polishes
    its best routes for the last `polishing.share` of its time (polish.py)."""
    member = Member(kind, None, deadline)
    try:
        handle, member.input_path = tempfile.mkstemp(prefix="fieldops-member-", suffix=".pickle")
        with os.fdopen(handle, "wb") as file:
            task = {
                "problem": problem,
                "kind": kind,
                "deadline": deadline,
                "vroom_searches": vroom_searches,
                "polishing": polishing,
            }
            pickle.dump(task, file)
        member.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, PACKAGE_ROOT, member.input_path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        member.error = f"could not start: {error}"
        member.cancel()
    return member


def run_child(input_path: str) -> None:
    """The child's side: solve, then write the routes to the original stdout."""
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    with open(input_path, "rb") as file:
        task = pickle.load(file)
    os.unlink(input_path)  # only we read it; gone even if the parent is killed
    problem: Problem = task["problem"]
    if task["kind"] == "pyvrp":
        from . import pyvrp_member

        routes = pyvrp_member.pyvrp_routes(problem, task["deadline"])
    else:
        routes = _vroom_routes(
            problem,
            task["deadline"],
            task.get("vroom_searches"),
            task.get("polishing"),
        )
    answer.write(pickle.dumps(routes))
    answer.close()
    # The parent is waiting: skip the interpreter's teardown of numpy, PyVRP, VROOM.
    os._exit(0)


def _vroom_routes(
    problem: Problem,
    deadline: float,
    searches: int | None = None,
    polishing: PolishSettings | None = None,
) -> vroom_start.RawRoutes:
    """VROOM at exploration 1 (complete on a 600-job day in about 20 s), then at
    exploration 5 if a quarter of the budget is left; the better of the two under the
    objective. SLA deadlines are hard window ends, as in the calling process's start.
    Measured on a 60 x 600 field day with one thread: exploration 5 cut off at 28 s
    drove 45.9 h, exploration 1 finished in 19.7 s with 43.3 h."""
    budget = deadline - time.time() - 0.05
    if searches is not None:
        # Runs of a few searches on the problem in odd orders (the calling process
        # takes the even ones), so the two processes explore different routes; then
        # the best is polished (with its own seed) for the rest of the time.
        routes, _ = vroom_start.best_of_runs(
            problem,
            time.monotonic() + budget * (1 - (polishing.share if polishing else 0.0)),
            searches,
            itertools.count(1, 2),
            sla_as_deadline=True,
        )
        if polishing is not None and polishing.share > 0 and routes:
            until = time.monotonic() + (deadline - time.time()) - 0.05
            routes = _polished(problem, routes, until, polishing)
        return routes
    routes = vroom_start.vroom_routes(problem, 1, 1, budget, sla_as_deadline=True)
    remaining = deadline - time.time()
    if remaining < 0.25 * budget:
        return routes
    # VROOM checks its timeout between phases and overshoots it on large days.
    deeper = vroom_start.vroom_routes(problem, 5, 1, 0.75 * remaining, sla_as_deadline=True)

    def key(raw: vroom_start.RawRoutes) -> tuple[float, float, float]:
        return solution_key(problem, vroom_start.checked_solution(problem, raw, ""))

    return min(routes, deeper, key=key)


def _polished(
    problem: Problem, routes: vroom_start.RawRoutes, deadline: float, settings: PolishSettings
) -> vroom_start.RawRoutes:
    """`routes` improved by polish.py until `deadline` (time.monotonic()), as raw routes
    again (the parent reschedules and checks them like any member's)."""
    _, allowed = prefilter(problem)
    checked = vroom_start.checked_solution(problem, routes, "")
    polished, _ = polish(
        problem, checked, allowed, deadline, seed=2, ruin=settings.ruin, accept=settings.accept
    )
    if polished is checked:
        return routes
    return {
        route.vehicle: [
            (step.type, step.id, step.arrival + step.waiting_time)
            for step in route.steps
            if step.type in ("job", "break")
        ]
        for route in polished.routes
    }
