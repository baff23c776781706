"""Wall time of one exploitability evaluation of the macro game (1,000 states, 20 actions, 128 periods, 8 paths).

    python scripts/meanfield_macro_timing.py [--repeats 10] [--paths 8]

Compiles (or loads) the kernels with one untimed call, then reports the best and
median of ``--repeats`` timed calls for the uniform policy, with and without the
non-anticipative best response, and the push-forward and backward passes apart.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from econ_envs.meanfield.exploitability import backward_values, exploitability
from econ_envs.meanfield.games import make_game
from econ_envs.meanfield.population import pushforward_rollout


def timed(fn, repeats: int) -> tuple[float, float]:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--paths", type=int, default=8)
    args = ap.parse_args()
    g = make_game("macro")
    pol = g.uniform_policy()
    paths = g.paths(n_paths=args.paths, seed=0, exact=False)
    t0 = time.perf_counter()
    r = exploitability(g, pol, paths=paths)
    first = time.perf_counter() - t0
    out = {"first_call_s (includes compiling or loading the kernels)": first, "exploitability": r.exploitability}
    out["mfax_protocol_s [best, median]"] = timed(lambda: exploitability(g, pol, paths=paths, nonanticipative=False),
                                                  args.repeats)  # fmt: skip
    out["with_nonanticipative_s [best, median]"] = timed(lambda: exploitability(g, pol, paths=paths), args.repeats)
    ro = pushforward_rollout(g, pol, paths, rewards=False)
    out["push_forward_s [best, median]"] = timed(lambda: pushforward_rollout(g, pol, paths, rewards=False),
                                                 args.repeats)  # fmt: skip
    out["backward_s [best, median]"] = timed(lambda: backward_values(ro), args.repeats)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
