"""``python -m`` on this package runs the ftroi command line."""

import sys

from .main import main

sys.exit(main())
