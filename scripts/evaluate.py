"""Same as `econ-envs evaluate` (see `python scripts/evaluate.py --help`)."""

import sys

from econ_envs.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
