"""How each customer buys, learnt from the shop's own purchase days (a buy-till-you-die model).

The model is Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while someone is still a
customer they buy at their own steady rate, and at some unseen moment they quietly stop for
good. Rates differ between customers as a gamma distribution (r, alpha), and so do the rates
at which they stop (s, beta). Four numbers describe a whole shop, fitted by maximum
likelihood to every customer's three facts: repeat purchase days (x), days from the first
purchase day to the last (t_x) and days as a customer (T). Spend per purchase day is the
Gamma-Gamma model (Fader, Hardie & Lee 2005), fitted to the customers who came back.

We chose Pareto/NBD over BG/NBD (the other common member of the family) by the CDNOW
backtest in docs/decisions/purchase-model.md: it ranks buyers better and forecasts more of
the holdout's purchases.

Nothing here reads a clock or a database: "today" is the cut day passed in, and every day
count is a whole number of days. Customers with the same (x, t_x, T) share one computation.
numpy and scipy are imported inside the functions, and this module only where a model is
fitted or scored (never by `today`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MIN_CUSTOMERS = 30  # fewer buyers than this and the shop falls back to the tier cadence
MIN_RETURNING = 10  # ... or fewer of them than this ever came back
NEXT_WITHIN = 180  # the next purchase date is the median among those who buy within this
SILENCE_MOST = 3650  # silent longer than this after the last purchase: no day is worked out
SLIPPING_BELOW = 0.75  # at churn risk once the chance of still being a customer falls below
GONE_BELOW = 0.5  # churned once it falls below an even chance
# Past this r the fitted buying rates are all within 3% of the shop's (the coefficient of
# variation of a gamma is 1 / sqrt(r)): the model then expects every live customer back on
# the same day (a small shop's first fit, or a file of steady buyers), which dates no call.
RATES_ALIKE_ABOVE = 1000.0


def tells_customers_apart(params: dict[str, Any]) -> bool:
    """Whether a fitted model's buying rates differ enough between customers for its
    expected next purchase to say something of each one."""
    return float(params.get("r", 0.0)) <= RATES_ALIKE_ABOVE


@dataclass(frozen=True)
class History:
    """One customer's purchase days up to the cut day, as the model reads them."""

    repeat_days: int  # purchase days after the first (x)
    last_age: int  # days from the first purchase day to the last (t_x)
    age: int  # days from the first purchase day to the cut day (T)
    mean_spend: float | None  # average spend of the repeat purchase days, if any

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.repeat_days, self.last_age, self.age)


def history_of(days: Sequence[date], spend: Sequence[float], cut: date) -> History:
    """A customer's history from their distinct purchase days (sorted, none after `cut`) and
    the spend of each day."""
    first, last = days[0], days[-1]
    repeat = spend[1:]
    mean = sum(repeat) / len(repeat) if repeat else None
    return History(len(days) - 1, (last - first).days, (cut - first).days, mean)


@dataclass(frozen=True)
class ShopModel:
    """The shop's fitted numbers: Pareto/NBD (r, alpha, s, beta; alpha and beta in days) and
    Gamma-Gamma (p, q, v; v in the shop's currency), and how many customers taught them."""

    r: float
    alpha: float
    s: float
    beta: float
    p: float | None = None
    q: float | None = None
    v: float | None = None
    customers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "r": self.r,
            "alpha": self.alpha,
            "s": self.s,
            "beta": self.beta,
            "p": self.p,
            "q": self.q,
            "v": self.v,
            "customers": self.customers,
        }


class TooLittleHistory(ValueError):
    """Too few customers, or too few who came back, for a model worth trusting."""

    def __init__(self, customers: int, returning: int) -> None:
        super().__init__(customers, returning)
        self.customers = customers
        self.returning = returning


def _log_a0(
    np: Any,
    hyp2f1: Any,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: Any,
    t_x: Any,
    age: Any,
    pairs: tuple[Any, Any] | None = None,
) -> Any:
    """log of the Pareto/NBD likelihood's integral term A0 (Fader & Hardie's note, 2005),
    computed on the side of alpha and beta that keeps the hypergeometric argument in [0, 1).

    The hypergeometric function reads only (x, t_x) at the last purchase and (x, age) at the
    cut, and far fewer of those pairs are distinct than customers' histories (1 226 and 1 435
    of 22 229 for 100 000 purchases): it runs once per distinct pair (`pairs`, found once
    per fit by `distinct_pairs`), each value the same."""
    if alpha >= beta:
        upper, shift = alpha, alpha - beta

        def second(repeat: Any) -> Any:
            return s + 1
    else:
        upper, shift = beta, beta - alpha

        def second(repeat: Any) -> Any:
            return r + repeat

    def log_term(distinct: Any) -> Any:
        repeat, at, back = distinct
        total = r + s + repeat
        value = np.log(hyp2f1(total, second(repeat), total + 1, shift / (upper + at)))
        return (value - total * np.log(upper + at))[back]

    last, cut = pairs if pairs is not None else distinct_pairs(np, x, t_x, age)
    at_last, at_cut = log_term(last), log_term(cut)
    with np.errstate(divide="ignore"):  # bought on the cut day: A0 is 0, its log -inf
        return at_last + np.log(-np.expm1(np.minimum(at_cut - at_last, 0.0)))


def distinct_pairs(np: Any, x: Any, t_x: Any, age: Any) -> tuple[Any, Any]:
    """The distinct (x, t_x) and (x, age) pairs, each as (x, days, where each history's
    pair is). Day counts are whole numbers, so a pair is one number: x * span + days."""
    span = float(max(t_x.max(initial=0), age.max(initial=0))) + 1

    def of(days: Any) -> tuple[Any, Any, Any]:
        keys, back = np.unique(x * span + days, return_inverse=True)
        repeat = np.floor(keys / span)
        return repeat, keys - repeat * span, back.reshape(-1)

    return of(t_x), of(age)


# The fallback's evaluations: it settles in about 500 where it settles at all; on a likelihood
# with no top (a Shopify orders file of steady buyers) 35 000 took three minutes for nothing.
NELDER_MEAD_AT_MOST = 1000


def fit(histories: Sequence[History]) -> ShopModel:
    """Fit the shop's purchase model; TooLittleHistory when there is not enough to learn."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import gammaln, hyp2f1

    groups = Counter(h.key for h in histories if h.age > 0)
    total = sum(groups.values())
    returning = sum(n for (x, _, _), n in groups.items() if x > 0)
    if total < MIN_CUSTOMERS or returning < MIN_RETURNING:
        raise TooLittleHistory(total, returning)
    keys = np.array(list(groups), dtype=float)
    weight = np.array(list(groups.values()), dtype=float) / total
    x, t_x, age = keys[:, 0], keys[:, 1], keys[:, 2]
    scale = float(age.mean())  # alpha and beta in units of the mean age: better conditioned
    pairs = distinct_pairs(np, x, t_x, age)

    def negative_log_likelihood(log_params: Any) -> float:
        r, alpha, s, beta = np.exp(log_params)
        alpha, beta = alpha * scale, beta * scale
        with np.errstate(all="ignore"):
            common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            stayed = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
            a0 = _log_a0(np, hyp2f1, r, alpha, s, beta, x, t_x, age, pairs)
            left = np.log(s / (r + s + x)) + a0
            value = -float((weight * (common + np.logaddexp(stayed, left))).sum())
        return value if math.isfinite(value) else 1e12

    def usable(found: Any) -> bool:
        r, alpha, s, beta = np.exp(found.x) * [1, scale, 1, scale]
        return math.isfinite(found.fun) and all(0.0 < v < 1e6 for v in (r, s, alpha, beta))

    start = np.log([0.5, 1.0, 0.5, 1.0])
    found = minimize(negative_log_likelihood, start, method="BFGS")  # ~160 evaluations
    if not found.success:  # slower, but needs no gradient
        further = minimize(
            negative_log_likelihood,
            found.x if np.all(np.isfinite(found.x)) else start,
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-11, "maxiter": 6000, "maxfev": NELDER_MEAD_AT_MOST},
        )
        # On a likelihood that keeps rising toward an edge (everyone buying at one steady rate,
        # nobody leaving) neither method settles: the best point inside the bounds stands.
        found = min(
            (tried for tried in (further, found) if usable(tried)),
            key=lambda tried: tried.fun,
            default=further,
        )
    if not usable(found):
        raise TooLittleHistory(total, returning)
    r, alpha, s, beta = (float(v) for v in np.exp(found.x))
    return ShopModel(r, alpha * scale, s, beta * scale, customers=total)


def fit_spend(model: ShopModel, histories: Sequence[History]) -> ShopModel:
    """Add the Gamma-Gamma spend model, fitted to customers who came back with a spend.

    Fitted by BFGS on the likelihood's exact gradient: about 30 steps for 25 000 spenders
    (Nelder-Mead took 4 000 and could still stop short). When customers' averages differ no
    more than single purchases do, q and v grow together without end and every customer's
    expected spend comes out as the shop's mean, which is what the data says."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import digamma, gammaln

    pairs = [
        (h.repeat_days, h.mean_spend)
        for h in histories
        if h.repeat_days > 0 and h.mean_spend is not None and h.mean_spend > 0
    ]
    if len(pairs) < MIN_RETURNING:
        return model
    x = np.array([p[0] for p in pairs], dtype=float)
    scale = float(np.mean([p[1] for p in pairs]))
    m = np.array([p[1] for p in pairs], dtype=float) / scale
    log_x, log_m = np.log(x), np.log(m)

    def negative_log_likelihood(log_params: Any) -> tuple[float, Any]:
        p, q, v = np.exp(log_params)
        px, spent = p * x, x * m + v
        with np.errstate(all="ignore"):
            log_l = (
                gammaln(px + q)
                - gammaln(px)
                - gammaln(q)
                + q * np.log(v)
                + (px - 1) * log_m
                + px * log_x
                - (px + q) * np.log(spent)
            )
            both = digamma(px + q)
            # d log L / d log p, d log q, d log v (the parameters are fitted in logs)
            gradient = np.array(
                [
                    p * (x * (both - digamma(px) + log_m + log_x - np.log(spent))).mean(),
                    q * (both - digamma(q) + np.log(v) - np.log(spent)).mean(),
                    v * (q / v - (px + q) / spent).mean(),
                ]
            )
            value = -float(log_l.mean())
        if not (math.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e12, np.zeros(3)
        return value, -gradient

    start = np.log([1.0, 2.0, 1.0])
    found = minimize(negative_log_likelihood, start, jac=True, method="BFGS")
    if not found.success:  # a flat likelihood (a small shop): on from there without gradient
        found = minimize(
            lambda log_params: negative_log_likelihood(log_params)[0],
            found.x if np.all(np.isfinite(found.x)) else start,
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-11, "maxiter": 4000},
        )
    p, q, v = (float(val) for val in np.exp(found.x))
    if not found.success or not math.isfinite(q * v) or q <= 1:
        # no finite mean spend (or no fit): keep each customer's own average
        return model
    return ShopModel(model.r, model.alpha, model.s, model.beta, p, q, v * scale, model.customers)


@dataclass(frozen=True)
class Outlook:
    """What the model expects of one customer after the cut day."""

    p_alive: float  # the chance they are still a customer
    expected_purchases: float  # purchase days expected within the horizon
    p_buy: float  # the chance of at least one purchase day within the horizon
    next_in_days: int  # days to the next purchase day (see NEXT_WITHIN)
    spend_per_purchase: float | None  # expected spend of one purchase day

    @property
    def expected_spend(self) -> float | None:
        if self.spend_per_purchase is None:
            return None
        return self.expected_purchases * self.spend_per_purchase


def _gamma_nodes(np: Any, roots_genlaguerre: Any, shape: float) -> tuple[Any, Any]:
    """Points and weights that average a function over a unit-scale gamma(shape) variable.
    Gauss-Laguerre is exact for the shapes shops give; past about 170 its weights overflow a
    float, and the gamma is then narrow enough that its 24 equal-chance quantiles do."""
    nodes, weights = roots_genlaguerre(24, shape - 1)
    total = weights.sum()
    if np.isfinite(total) and total > 0:
        return nodes, weights / total
    from scipy.stats import gamma

    return gamma.ppf((np.arange(24) + 0.5) / 24, shape), np.full(24, 1 / 24)


def score_all(model: ShopModel, histories: Sequence[History], horizon_days: int) -> list[Outlook]:
    """Every customer's outlook over the next `horizon_days`, once per distinct history."""
    import numpy as np
    from scipy.special import hyp2f1, roots_genlaguerre

    keys = sorted({h.key for h in histories})
    if not keys:
        return []
    arr = np.array(keys, dtype=float)
    x, t_x, age = arr[:, 0], arr[:, 1], arr[:, 2]
    r, alpha, s, beta = model.r, model.alpha, model.s, model.beta
    horizon = float(horizon_days)
    p_alive = _p_alive(np, hyp2f1, model, x, t_x, age)
    rate = (r + x) / (alpha + age)  # an alive customer's expected rate, per day
    if abs(s - 1.0) < 1e-9:
        stays = (beta + age) * np.log1p(horizon / (beta + age))
    else:
        stays = (
            (beta + age) / (s - 1) * (1.0 - np.power((beta + age) / (beta + age + horizon), s - 1))
        )
    expected = p_alive * rate * stays
    # The chance of no purchase in the horizon, given alive, averaged over the customer's
    # rate (gamma r + x, alpha + T) and stopping rate (gamma s, beta + T) by quadrature.
    stop_nodes, stop_weights = _gamma_nodes(np, roots_genlaguerre, s)
    none_if_alive = np.empty(len(keys))
    for shape in np.unique(r + x):
        rows = np.nonzero(r + x == shape)[0]
        buy_nodes, buy_weights = _gamma_nodes(np, roots_genlaguerre, shape)
        lam = buy_nodes[None, :, None] / (alpha + age[rows])[:, None, None]
        mu = stop_nodes[None, None, :] / (beta + age[rows])[:, None, None]
        both = lam + mu
        none = mu / both + lam / both * np.exp(-both * horizon)
        none_if_alive[rows] = np.einsum("kij,i,j->k", none, buy_weights, stop_weights)
    p_buy = p_alive * (1.0 - none_if_alive)
    # Among alive customers who buy within NEXT_WITHIN days, half have by this day.
    shape = r + x
    within = 1.0 - np.power((alpha + age) / (alpha + age + NEXT_WITHIN), shape)
    wait = (alpha + age) * (np.power(1.0 - within / 2.0, -1.0 / shape) - 1.0)
    index = {k: i for i, k in enumerate(keys)}
    result = []
    for h in histories:
        i = index[h.key]
        result.append(
            Outlook(
                p_alive=float(p_alive[i]),
                expected_purchases=max(0.0, float(expected[i])),
                p_buy=min(1.0, max(0.0, float(p_buy[i]))),
                next_in_days=max(1, math.ceil(float(wait[i]))),
                spend_per_purchase=_spend(model, h),
            )
        )
    return result


def _p_alive(np: Any, hyp2f1: Any, model: ShopModel, x: Any, t_x: Any, age: Any) -> Any:
    """The chance each history's customer is still a customer at its age (arrays)."""
    r, alpha, s, beta = model.r, model.alpha, model.s, model.beta
    with np.errstate(all="ignore"):
        log_a0 = _log_a0(np, hyp2f1, r, alpha, s, beta, x, t_x, age)
        ratio = np.exp(
            np.log(s / (r + s + x))
            + (r + x) * np.log(alpha + age)
            + s * np.log(beta + age)
            + log_a0
        )
    return 1.0 / (1.0 + ratio)


def days_until_below(
    model: ShopModel, histories: Sequence[History], chance: float
) -> list[int | None]:
    """For each history: how many days after their first purchase day the customer's chance
    of still being a customer falls below `chance` if they buy nothing more (the chance only
    falls with silence), or None when it stays above it for SILENCE_MOST days after the last.

    Worked out once per distinct (repeat days, last age) by bisection on whole days."""
    import numpy as np
    from scipy.special import hyp2f1

    pairs = sorted({(h.repeat_days, h.last_age) for h in histories})
    if not pairs:
        return []
    arr = np.array(pairs, dtype=float)
    x, t_x = arr[:, 0], arr[:, 1]
    low = t_x.copy()  # at the last purchase day itself the chance is highest
    high = t_x + SILENCE_MOST
    never = _p_alive(np, hyp2f1, model, x, t_x, high) >= chance
    while np.any(high - low > 1):  # the first whole day below: in (low, high]
        middle = np.floor((low + high) / 2)
        below = _p_alive(np, hyp2f1, model, x, t_x, middle) < chance
        high = np.where(below, middle, high)
        low = np.where(below, low, middle)
    days = {pair: None if never[i] else int(high[i]) for i, pair in enumerate(pairs)}
    return [days[(h.repeat_days, h.last_age)] for h in histories]


def _spend(model: ShopModel, history: History) -> float | None:
    """Expected spend of one purchase day: the customer's own average pulled toward the shop's,
    the more the fewer times they came back."""
    if model.p is None or model.q is None or model.v is None:
        return history.mean_spend
    shop_mean = model.p * model.v / (model.q - 1)
    if history.repeat_days == 0 or history.mean_spend is None:
        return shop_mean
    own = (model.q - 1) / (model.p * history.repeat_days + model.q - 1)
    return own * shop_mean + (1 - own) * history.mean_spend


def value_order(spend: float | None, purchases: float | None) -> tuple[int, float, float]:
    """Most at stake first: expected spend, then expected purchase days; a customer the model
    has nothing on (no purchase yet) after every one it has."""
    if spend is None and purchases is None:
        return (1, 0.0, 0.0)
    return (0, -(spend or 0.0), -(purchases or 0.0))


def next_purchase(cut: date, result: Outlook) -> date:
    """The day the customer is expected to buy next: always after the cut day."""
    return cut + timedelta(days=result.next_in_days)
