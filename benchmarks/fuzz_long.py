"""The long fuzz run (issues 13 and 21): the CI fuzz suite with 20× the examples.

    .venv/bin/python benchmarks/fuzz_long.py [SCALE]
"""

import os
import subprocess
import sys

scale = sys.argv[1] if len(sys.argv) > 1 else "20"
sys.exit(subprocess.call(
    [sys.executable, "-m", "pytest", "-q", "tests/model/test_fuzz_scenario.py",
     "tests/test_fuzz_inputs.py", "tests/core/test_files.py",
     # issue 21: logs, the price cache, share links and query parameters, CLI arguments and
     # scenario TOML
     "tests/traffic/test_hostile_logs.py", "tests/pricing/test_hostile_prices.py",
     "tests/app/test_hostile_link.py", "tests/cli/test_hostile_cli.py"],
    env={**os.environ, "FTROI_FUZZ_SCALE": scale}))
