"""A second portfolio member in its own process, so the search uses both cores.

While OR-Tools searches in the calling process, a child process runs the member that
complements it best for the problem at hand:

- **pyvrp**: PyVRP's iterated local search, when the problem translates exactly
  (`pyvrp_member.unsupported_reason`); on Solomon it finds routes OR-Tools' guided
  local search needs several times longer for;
- **vroom**: otherwise VROOM (exploration 5, one thread) with the whole time budget,
  where the calling process gives it only a share before handing over to OR-Tools.

The child is a plain subprocess (`python -m routing.optimizer.parallel`), not a
multiprocessing worker: Celery's prefork workers are daemonic and may not fork
multiprocessing children. The problem goes in through a temporary file, the raw routes
come back as a pickle on stdout. Both are our own objects exchanged with our own child,
never read from anywhere else. The child's routes are rescheduled with our semantics and
checked like VROOM's starting routes (`vroom_start.checked_solution`); a child that
fails, or overruns its deadline by more than `GRACE_S`, is ignored and logged.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import pyvrp_member, vroom_start
from .model import Problem, Solution

# How long past the deadline the parent waits for the child's answer.
GRACE_S = 1.0
# Below this budget a second process costs more than it can bring.
MIN_BUDGET_S = 1.5
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def member_for(problem: Problem) -> str | None:
    """The member to run beside OR-Tools, or None when none is available."""
    if pyvrp_member.unsupported_reason(problem) is None:
        return "pyvrp"
    if vroom_start.available():
        return "vroom"
    return None


@dataclass
class Member:
    kind: str
    process: subprocess.Popen
    deadline: float  # time.time() by which the child returns
    input_path: str
    started: float

    def solution(self, problem: Problem, reason: str) -> tuple[Solution | None, dict]:
        """Wait for the child's routes; returns the checked solution (or None) and a log."""
        log: dict[str, object] = {"member": self.kind}
        try:
            timeout = max(0.0, self.deadline - time.time()) + GRACE_S
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            log["member_error"] = "overran its deadline"
            return None, log
        finally:
            os.unlink(self.input_path)
        log["member_s"] = round(time.time() - self.started, 3)
        if self.process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            log["member_error"] = lines[-1] if lines else f"exit {self.process.returncode}"
            return None, log
        routes = pickle.loads(out)
        solution = vroom_start.checked_solution(problem, routes, reason)
        log["member_routes"] = len(routes)
        log["member_routes_kept"] = len(solution.routes)
        return solution, log

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        if os.path.exists(self.input_path):
            os.unlink(self.input_path)


def launch(problem: Problem, kind: str, deadline: float) -> Member:
    """Start `kind` on `problem` in a child process that answers by `deadline`
    (a time.time() value)."""
    handle, input_path = tempfile.mkstemp(prefix="fieldops-member-", suffix=".pickle")
    with os.fdopen(handle, "wb") as file:
        pickle.dump({"problem": problem, "kind": kind, "deadline": deadline}, file)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "routing.optimizer.parallel", input_path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    return Member(kind, process, deadline, input_path, time.time())


def _run(input_path: str) -> None:
    with open(input_path, "rb") as file:
        task = pickle.load(file)
    problem: Problem = task["problem"]
    budget = task["deadline"] - time.time() - 0.05
    if task["kind"] == "pyvrp":
        routes = pyvrp_member.pyvrp_routes(problem, budget)
    else:
        routes = _vroom_routes(problem, task["deadline"])
    sys.stdout.buffer.write(pickle.dumps(routes))


def _vroom_routes(problem: Problem, deadline: float) -> pyvrp_member.RawRoutes:
    """VROOM at exploration 1 (complete on a 600-job day in about 20 s), then at
    exploration 5 if a quarter of the budget is left; the better of the two under the
    objective. SLA deadlines are hard window ends, as in the calling process's start.
    Measured on a 60 x 600 field day with one thread: exploration 5 cut off at 28 s
    drove 45.9 h, exploration 1 finished in 19.7 s with 43.3 h."""
    from .objective import solution_key

    budget = deadline - time.time() - 0.05
    routes = vroom_start.vroom_routes(problem, 1, 1, budget, sla_as_deadline=True)
    remaining = deadline - time.time()
    if remaining < 0.25 * budget:
        return routes
    # VROOM checks its timeout between phases and overshoots it on large days.
    deeper = vroom_start.vroom_routes(problem, 5, 1, 0.75 * remaining, sla_as_deadline=True)

    def key(raw: pyvrp_member.RawRoutes) -> tuple[float, float, float]:
        return solution_key(problem, vroom_start.checked_solution(problem, raw, ""))

    return min(routes, deeper, key=key)


if __name__ == "__main__":
    _run(sys.argv[1])
