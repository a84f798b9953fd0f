"""scripts/ensure-prism.sh: executable bash, prints only the binary path on stdout."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-prism.sh"


def test_ensure_prism_is_executable_bash():
    assert os.access(SCRIPT, os.X_OK)
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_an_explicit_prism_is_used_as_is(tmp_path):
    fake = tmp_path / "prism"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    result = subprocess.run(
        [str(SCRIPT)], env={**os.environ, "PRISM": str(fake)}, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == f"{fake}\n"
