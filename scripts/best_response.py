"""Same as `econ-envs best-response` (see `python scripts/best_response.py --help`)."""

import sys

from econ_envs.cli import main

if __name__ == "__main__":
    sys.exit(main(["best-response", *sys.argv[1:]]))
