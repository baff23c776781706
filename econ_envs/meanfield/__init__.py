"""Mean-field games: linear-quadratic, beach bar, macroeconomics (MFAX) and crowd modelling (OpenSpiel).

Description
-----------
A mean-field game has a continuum of identical agents; each one's reward and
moves depend on its own state, its action and the population's distribution
mu_t (the *mean field*), and possibly on common noise z_t that hits everyone.
Four games, each defined once (``econ_envs.meanfield.games``: numba functions
for the decision step, the idiosyncratic noise and the reward) and run by two
population updates that share that definition:

* **push-forward** (exact): mu_{t+1} = A_t^T mu_t and expected next values A_t v by
  scatter/gather over sparse transition rows (never a dense matrix);
* **sample-based**: N agents stepped with sampled idiosyncratic noise; the mean
  field is their histogram. It simulates exactly the push-forward's law.

Interfaces:

================================  =======================================================================
``econ_envs.make(...)``           PettingZoo ``ParallelEnv``, N sampled agents ``agent_0..agent_{N-1}``
``meanfield/lq-v0``               each acting with ``Discrete(A)`` and observing ``Box``: its own state, then
``meanfield/beach_bar-v0``        the shared observation (``env.observation_names()``); per-agent rewards.
``meanfield/macro-v0``            Arguments: ``n_agents`` (default 1,000) and any game parameter.
``meanfield/crowd-v0``
``gymnasium.make(...)``           Gymnasium ``Env`` over the exact push-forward: the action is the
``econ_envs/MeanField-LQ-v0``     population's policy table pi_t[S, A] (``PolicyTableSpace``: rows are
``.../MeanField-BeachBar-v0``     distributions), the observation the shared observation, the reward the
``.../MeanField-Macro-v0``        population-average reward sum_s mu_t(s) sum_a pi_t(a|s) R_t(s, a);
``.../MeanField-Crowd-v0``        ``info["mu"]`` is the mean field.
================================  =======================================================================

``econ_envs.meanfield.exploitability(game, policy)`` scores any policy (a table
[S, A] or [T, S, A], a callable ``f(states, obs_history)``, a torch module on
per-agent observations, or a ``MeanFieldPolicy`` object);
``econ_envs.meanfield.solvers`` has fictitious play and online mirror descent
(exact, tabular) and SPG/RSPG (torch); ``econ-envs solve GAME --solver ...``
writes exploitability curves.

Timing (every game)
-------------------
Periods t = 0..T-1. At t the population plays pi_t; mu_{t+1} = A_t^T mu_t; the
common noise moves to z_{t+1}; the reward R_t(s, a) may use the aggregates of
both t and t+1 (LQ uses m_{t+1}, the beach bar z_{t+1}, macro the prices of t);
where a game has a terminal reward it *replaces* the step reward at t = T-1
(MFAX's convention). ``terminated`` after T periods; never ``truncated``.
Values are discounted sums sum_t gamma^t r_t over the T periods.

Games
-----
**Linear-quadratic** (``lq``, MFAX ``linear_quadratic``). States: positions
0..98. Actions: moves -3..3 cells. Horizon 30, gamma 0.99. Decision stage
s_bar = floor(clip(s + a + sigma rho eps_t, 0, 98)); noise s' = clip(s_bar +
round(sigma sqrt(1-rho^2) k), 0, 98), k in -3..3 with weights proportional to
the N(0,1) density. Reward -c_a a^2 + q a (m_{t+1} - s) - kappa/2 (m_{t+1} - s)^2
(c_a = 0.5, q = 0.1, kappa = 0.5), replaced at T-1 by -c_T/2 (m_T - s)^2 (c_T = 1).
Common noise (``common_noise=True``; off by default as in MFAX): z = +-1 with
probability 1/2, drawn at reset; eps_t = -10 z for t < 8, +10 z for t > 20 (a
drift of 5 cells per period). mu_0 uniform. Shared observation: the mean
position m_t (z is not observed; it shows in m_1).

**Beach bar 1D** (``beach_bar``, MFAX ``beach_bar_1d``). States 0..100; a bar b
uniform on 25..75, drawn at reset; actions: moves -5..5. Horizon 30, gamma 0.99.
Proj(s, x) stops any move at the cell before the bar (agents never reach or
cross it). s_bar = Proj(s, clip(s + a)); s' = Proj(s_bar, clip(s_bar + d)), d in
-2..2 with probabilities 0.05, 0.1, 0.7, 0.1, 0.05. Reward -|b - s| z_t -
101 [|b - s| = 1][z_{t+1} = 0] - |a|/101 (also at T-1). Common noise: z_t = 1
(open) until t = 15, where z_15 is closed (0) with probability 1/2 when
``common_noise=True`` (MFAX default off). mu_0 uniform off the bar. Shared
observation (m_t, z_t, b). Neither rewards nor moves depend on mu, so its
equilibrium is the optimal history-dependent policy.

**Macroeconomics** (``macro``, MFAX ``endogenous``): Aiyagari-style
consumption-savings with aggregate TFP shocks. States (wealth a, income y) on
200 x 5 geometric grids (a in [0, 99], y in [0.1, 2], pivot 0.25), 1,000
states, index a_idx * 5 + y_idx. Actions: 20 consumption shares (i + 1/2)/20 of
cash on hand. Horizon 128, gamma 0.95. Prices from the population: K = E[a],
L = E[y], r = e^z alpha (L/K)^(1-alpha), w = e^z (1-alpha)(K/L)^alpha (alpha =
0.36, no depreciation). Cash on hand m = (1 + r) a + w y; next wealth m (1 -
share), split linearly onto its two grid neighbours (capped at 99); income
index moves -1/0/+1 with probabilities 0.1/0.8/0.1 (clipped). Reward u(m share)
with CRRA sigma = 2; at T-1 u(m) (consume everything). Common noise z_{t+1} =
0.9 z_t + 0.03 eps, z_0 = 0 (on by default; ``common_noise=False`` keeps z = 0).
mu_0 uniform. Shared observation (r_t, w_t).

**Crowd modelling 1D** (``crowd``, OpenSpiel ``python_mfg_crowd_modelling``).
10 positions on a circle; actions -1/0/+1; noise -1/0/+1 with probability 1/3
each; 10 decisions, undiscounted, mu_0 uniform. Reward 1 - |x - 5|/5 -
log(mu_t(x) + 1e-25) - |a|/10, where OpenSpiel charges the move cost at the next
decision and never charges the last move (so does this model, by charging
gamma |a|/10 when the move is made except at the last decision). Shared
observation mu_t and t.

Exploitability
--------------
On a set of common-noise paths (enumerated exactly when the noise has finite
support - LQ, beach bar, crowd - otherwise sampled; ``n_paths=8, exact=False``
is MFAX's protocol): V^pi by backward recursion, the best response V* by backward
induction against the same realised flow, exploitability = sum_p w_p mu_0^p .
(V*_0 - V^pi_0). This is MFAX's definition; its best response knows the whole
path (anticipative). The non-anticipative variant lets the best response
condition only on the common-noise history the shared observations have
revealed (``paths.node``). Uniform policy: LQ 4615.31 (2281.03 with common
noise; MFAX 4615.3 / 2281.0), beach bar 577.17 (444.68) exactly over every bar
location (MFAX's 8-sample estimates 566.5 / 443.0 are within one standard
error), macro 148.9 +- 1.0 on 64 sampled paths (MFAX 145.98 on 8), crowd
2.78668 exactly; OpenSpiel's tests say 2.81354 (value 27.2159) because its
evaluators cache values by a state string that omits the last move, which
``econ_envs.meanfield.reference`` reproduces on this model to 1e-14.
Cost: O(S A K) per path and period for each pass; the macro game's
exploitability (8 paths) takes about a third of a second on a 2-core VM.

Solvers
-------
``econ_envs.meanfield.solvers``: ``fictitious_play`` and ``online_mirror_descent``
(exact, tabular: one table per period, state and revealed common-noise history;
FP averages best responses weighted by their occupancy), ``spg`` and ``rspg``
(torch; MFAX's network and optimiser; the gradient of the mu_0-weighted value
through the backward recursion over sparse rows, the flow held fixed; RSPG feeds
a GRU over the shared observations). ``econ-envs solve GAME --solver
fp|omd|spg|rspg --out DIR`` writes the exploitability curve.

Arguments
---------
``econ_envs.make("meanfield/<game>-v0", n_agents=..., **params)``,
``gymnasium.make("econ_envs/MeanField-<Game>-v0", **params)``; params are the
fields of :class:`~econ_envs.meanfield.params.LQParams`,
:class:`~econ_envs.meanfield.params.BeachBarParams`,
:class:`~econ_envs.meanfield.params.MacroParams`,
:class:`~econ_envs.meanfield.params.CrowdParams` (``common_noise``, ``horizon``,
``discount``, grid sizes, costs, ``observe_time`` ...). ``reset(options={"scenario":
(static, z)})`` pins the common-noise path of an episode.

MFAX bugs fixed (and how)
-------------------------
* The macro sample env never advanced the agent's clock (``sa_step`` always read
  period 0): here the sampled population has one clock, ``population.t``, advanced
  every step and used for the aggregates, the rewards and termination.
* The sample envs swapped step and terminal rewards (``r_term, r_step`` unpacked in
  the wrong order): here both updates call the same reward function with an
  explicit ``terminal`` flag (tests check that sampled rewards equal the
  push-forward reward table).
* The macro ``common_noise`` flag was ignored: here ``common_noise=False`` freezes
  z at 0 (default True, which is MFAX's effective behaviour).
* Exploitability under common noise let the best response see the future: kept
  as MFAX's number for comparability, with the non-anticipative variant beside it.
* Also changed: the macro sample-based population keeps wealth on the grid by
  sampling the push-forward's linear split (MFAX's sample env kept continuous,
  unbounded wealth), so the two updates are one model; the beach bar's noise
  projection is taken from s_bar instead of s (identical for every reachable
  state); the best response costs O(S A K) per period instead of MFAX's O(S A^2 K).

Version history
---------------
* v0: first release.
"""

from econ_envs.core.registry import EnvSpec, register
from econ_envs.meanfield.env import MeanFieldEnv, PushForwardEnv, parallel_env
from econ_envs.meanfield.exploitability import exploitability
from econ_envs.meanfield.games import GAMES, make_game

_DESCRIPTIONS = {
    "lq": "Mean-field linear-quadratic game (MFAX): 99 positions, 7 moves, 30 periods, N sampled agents",
    "beach_bar": "Mean-field beach bar 1D (MFAX): walk to a bar that may close at t=15, N sampled agents",
    "macro": "Mean-field Aiyagari-style consumption-savings game with TFP shocks (MFAX), N sampled agents",
    "crowd": "Mean-field 1D crowd modelling on a torus (OpenSpiel), N sampled agents",
}
_ENV_CLASSES = {"lq": "LQEnv", "beach_bar": "BeachBarEnv", "macro": "MacroEnv", "crowd": "CrowdEnv"}
_PANELS = {
    "lq": (("Mean position (cells)", ("mean_position",)), ("Mean reward (per agent per period)", ("mean_reward",))),
    "beach_bar": (
        ("Mean position and bar (cells)", ("mean_position", "bar")),
        ("Bar state (1 = open, 0 = closed)", ("common_noise",)),
        ("Mean reward (per agent per period)", ("mean_reward",)),
    ),
    "macro": (
        ("Capital and labour (per agent)", ("capital", "labour")),
        ("Prices (interest rate: fraction per period; wage: goods per unit of labour)", ("interest_rate", "wage")),
        ("TFP z (log deviation)", ("common_noise",)),
        ("Mean reward (utility per agent per period)", ("mean_reward",)),
    ),
    "crowd": (("Mean reward (per agent per period)", ("mean_reward",)),),
}

for _key in GAMES:
    register(
        EnvSpec(
            id=f"meanfield/{_key}-v0",
            description=_DESCRIPTIONS[_key],
            entry_point=f"econ_envs.meanfield.env:{_ENV_CLASSES[_key]}",
            simulate_policies={"uniform": "econ_envs.meanfield.policies:UniformProfile"},
            default_policy="uniform",
            plot_panels=_PANELS[_key],
            agents_kwarg="n_agents",
        )
    )

GYM_ENVS = {  # id -> gymnasium.register keywords; max_episode_steps = the game's default horizon (periods)
    f"econ_envs/MeanField-{name}-v0": {"entry_point": f"econ_envs.meanfield.env:PushForward{name}",
                                       "max_episode_steps": T}  # fmt: skip
    for name, T in (("LQ", 30), ("BeachBar", 30), ("Macro", 128), ("Crowd", 10))
}

__all__ = ["GAMES", "MeanFieldEnv", "PushForwardEnv", "exploitability", "make_game", "parallel_env"]
