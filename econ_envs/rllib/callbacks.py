"""RLlib callbacks: the Stackelberg schedule, the AI-Economist curriculum, economy metrics.

* :func:`stackelberg_schedule` - leader and followers train in alternation
  (``follower_iters`` iterations of the followers, then ``leader_iters`` of the
  leader, repeated). The trainable set is pushed to every Learner and EnvRunner
  (``policies_to_train`` lives in each one's own copy of the config).
* :func:`two_phase_curriculum` - the AI Economist's curriculum: for the first
  ``phase1_iters`` iterations the leader role is played by a frozen rule module
  (the free market) while the followers learn; then the leader role switches to
  its learnable module and everybody trains.
* :class:`EconomyMetrics` - logs the economy's ``aggregates()`` (episode means)
  under ``env_runners/economy/<name>``, so they reach TensorBoard.

Callbacks are composed with RLlib's ``config.callbacks([...])``.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterable
from typing import Any

from ray.rllib.callbacks.callbacks import RLlibCallback

from econ_envs.rllib.env import RoleMapping, find_economy


def set_trainable(algorithm: Any, modules: Iterable[str]) -> None:
    """Make exactly ``modules`` trainable on every Learner and EnvRunner of ``algorithm``."""
    trainable = sorted(set(modules))

    def on_learner(learner: Any) -> None:
        learner.config.multi_agent(policies_to_train=trainable)

    def on_runner(runner: Any) -> None:
        runner.config.multi_agent(policies_to_train=trainable)

    algorithm.learner_group.foreach_learner(on_learner)
    if algorithm.env_runner_group is not None:
        algorithm.env_runner_group.foreach_env_runner(on_runner, local_env_runner=True)


def trainable_modules(algorithm: Any) -> list[str]:
    """The modules the (first) Learner currently updates."""
    res = list(algorithm.learner_group.foreach_learner(lambda learner: learner.config.policies_to_train))
    ptt = res[0].get() if hasattr(res[0], "get") else res[0]
    return sorted(ptt) if ptt is not None else sorted(algorithm.config.policies)


def stackelberg_schedule(
    leaders: Iterable[str], followers: Iterable[str], leader_iters: int = 1, follower_iters: int = 1,
    first: str = "followers",
) -> type:  # fmt: skip
    """A callback class alternating leader and follower training (see module docstring)."""
    leaders = tuple(leaders)
    followers = tuple(followers)
    if leader_iters < 1 or follower_iters < 1:
        raise ValueError("leader_iters and follower_iters must be >= 1")
    if first not in ("followers", "leaders"):
        raise ValueError("first must be 'followers' or 'leaders'")

    class StackelbergSchedule(RLlibCallback):
        LEADERS = leaders
        FOLLOWERS = followers

        @staticmethod
        def phase_of(iteration: int) -> str:
            """The side that trains in (0-based) iteration ``iteration``."""
            cycle = leader_iters + follower_iters
            pos = iteration % cycle
            first_len = follower_iters if first == "followers" else leader_iters
            second = "leaders" if first == "followers" else "followers"
            return first if pos < first_len else second

        def _apply(self, algorithm: Any, iteration: int) -> str:
            phase = self.phase_of(iteration)
            set_trainable(algorithm, followers if phase == "followers" else leaders)
            return phase

        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            self._apply(algorithm, algorithm.iteration)

        def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
            # `algorithm.iteration` counts finished iterations: it is the index of the next one.
            result["stackelberg_phase_trained"] = self.phase_of(algorithm.iteration - 1)
            self._apply(algorithm, algorithm.iteration)

    return StackelbergSchedule


def two_phase_curriculum(
    leader_role: str, leader_module: str, rule_module: str, follower_modules: Iterable[str], phase1_iters: int,
    mapping: dict[str, str] | None = None,
) -> type:  # fmt: skip
    """A callback class for the AI Economist's two-phase curriculum (see module docstring)."""
    follower_modules = tuple(follower_modules)
    base = dict(mapping or {})

    def mapping_for(phase: int) -> RoleMapping:
        m = dict(base)
        m[leader_role] = rule_module if phase == 1 else leader_module
        return RoleMapping(m)

    class TwoPhaseCurriculum(RLlibCallback):
        PHASE1_ITERS = phase1_iters

        @staticmethod
        def phase_of(iteration: int) -> int:
            return 1 if iteration < phase1_iters else 2

        def _apply(self, algorithm: Any, iteration: int) -> None:
            phase = self.phase_of(iteration)
            fn = mapping_for(phase)

            def on_runner(runner: Any) -> None:
                runner.config.multi_agent(policy_mapping_fn=fn)
                if hasattr(runner, "set_role_mapping"):
                    runner.set_role_mapping(fn.mapping)

            if algorithm.env_runner_group is not None:
                algorithm.env_runner_group.foreach_env_runner(on_runner, local_env_runner=True)
            set_trainable(algorithm, follower_modules if phase == 1 else (*follower_modules, leader_module))

        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            self._apply(algorithm, algorithm.iteration)

        def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
            result["curriculum_phase_trained"] = self.phase_of(algorithm.iteration - 1)
            if self.phase_of(algorithm.iteration) != self.phase_of(algorithm.iteration - 1):
                self._apply(algorithm, algorithm.iteration)

    return TwoPhaseCurriculum


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB (10^9 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e9 if sys.platform == "darwin" else peak * 1024 / 1e9  # bytes on macOS, KiB on Linux


class EconomyMetrics(RLlibCallback):
    """Episode means of every aggregate of the economy, logged as ``economy/<name>``.

    Each training result also carries ``perf/peak_rss_gb``: the peak resident memory of the
    process that trains (with local env runners: sampling, economy and learner together).
    """

    def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
        result.setdefault("perf", {})["peak_rss_gb"] = peak_rss_gb()

    def on_episode_step(self, *, episode: Any, env: Any = None, env_index: int = 0, **kwargs: Any) -> None:
        econ = find_economy(env, env_index)
        if econ is None:
            return
        data = episode.custom_data
        sums = data.setdefault("economy_sums", {})
        for k, v in econ.aggregates().items():
            if v == v:  # skip NaN
                sums[k] = sums.get(k, 0.0) + float(v)
        data["economy_steps"] = data.get("economy_steps", 0) + 1

    def on_episode_end(self, *, episode: Any, metrics_logger: Any = None, **kwargs: Any) -> None:
        data = episode.custom_data
        steps = data.get("economy_steps", 0)
        if metrics_logger is None or not steps:
            return
        for k, total in data.get("economy_sums", {}).items():
            metrics_logger.log_value(("economy", k), total / steps, reduce="mean", window=20)
