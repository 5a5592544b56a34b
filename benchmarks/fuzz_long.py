"""The long fuzz run (issue 13): the CI fuzz suite with 20× the examples (~30 minutes).

    .venv/bin/python benchmarks/fuzz_long.py [SCALE]
"""

import os
import subprocess
import sys

scale = sys.argv[1] if len(sys.argv) > 1 else "20"
sys.exit(subprocess.call(
    [sys.executable, "-m", "pytest", "-q", "tests/test_fuzz_scenario.py",
     "tests/test_fuzz_inputs.py", "tests/test_files.py"],
    env={**os.environ, "FTROI_FUZZ_SCALE": scale}))
