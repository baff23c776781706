"""Same as `econ-envs sweep` (see `python scripts/sweep.py --help`)."""

import sys

from econ_envs.cli import main

if __name__ == "__main__":
    sys.exit(main(["sweep", *sys.argv[1:]]))
