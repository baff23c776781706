"""Same as `econ-envs train` (see `python scripts/train.py --help`)."""

import sys

from econ_envs.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
