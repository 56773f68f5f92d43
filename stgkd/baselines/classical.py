"""The classical baselines of the DMST-GNODE paper: ARIMA per node and one shared SVR.

Both follow the neural baselines' contract on windows: ``fit(train, steps_per_day)`` on the
training readings [T, N], then ``predict(windows)`` maps [W, n_his, N] histories to the next
``n_pred`` steps [W, n_pred, N], in the units they were fitted in.

ARIMA (:class:`ARIMAForecaster`). One ARIMA(p, d, q) per node, estimated by statsmodels' exact
maximum likelihood on that node's training series (the training days as one series, at most the
last week of it: Los-loop's five training days in full, the last 7 of PeMSD7(M)'s 34); the
order is chosen per node by AIC over a small grid (default p in {1, 2, 3}, q in {0, 1}, d = 0,
with a constant mean). Forecasting does not refit per window: with the node's parameters fixed,
each window's history is filtered by the ARMA recursion (innovations set to zero before step
``max(p, q)`` of the grid, as conditional least squares does) and the recursion is run on
``n_pred`` steps with future innovations zero. For a pure AR model this is exactly the
Kalman-filter forecast statsmodels would give from the same history; with an MA term it differs
only by the start-up of the innovations. It is vectorised over windows and nodes.

SVR (:class:`SVRForecaster`). One support vector regression shared by all nodes: a row is the
last ``n_his`` readings of one node, the target one of the next ``n_pred`` readings (one SVR per
horizon step, the same rows for each). Rows are all within-day windows of every node, subsampled
to ``max_rows`` with a seeded generator (a kernel SVR is quadratic in its rows). Readings are
standardised by one mean and standard deviation from the training data, so the defaults
(RBF kernel, C = 1, epsilon = 0.1, gamma "scale") do not depend on the units. Prediction
computes the kernel between the windows and the training rows once and applies all steps'
dual coefficients to it (the same numbers as each SVR's ``predict``, about 12 times faster).
"""
from __future__ import annotations

import warnings
from typing import Iterable

import numpy as np
from stgkd.progress import tqdm

DEFAULT_ORDERS: tuple[tuple[int, int, int], ...] = (
    (1, 0, 0), (2, 0, 0), (3, 0, 0), (1, 0, 1), (2, 0, 1), (3, 0, 1))


def _check_train(train: np.ndarray, steps_per_day: int, min_steps: int) -> np.ndarray:
    y = np.asarray(train, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"train: expected a [T, N] array, found shape {list(y.shape)}")
    if not np.isfinite(y).all():
        raise ValueError(f"train: expected finite readings, found {int((~np.isfinite(y)).sum())} "
                         f"NaN or infinite cells")
    if int(steps_per_day) != steps_per_day or steps_per_day < 1:
        raise ValueError(f"steps_per_day: expected a positive integer, found {steps_per_day!r}")
    if y.shape[0] < min_steps:
        raise ValueError(f"train: expected at least {min_steps} steps, found {y.shape[0]}")
    return y


def _check_windows(windows: np.ndarray, n_nodes: int, n_his: int | None = None) -> np.ndarray:
    x = np.asarray(windows, dtype=np.float64)
    expected = f"[W, {'n_his' if n_his is None else n_his}, {n_nodes}]"
    if x.ndim != 3 or x.shape[2] != n_nodes or (n_his is not None and x.shape[1] != n_his):
        raise ValueError(f"windows: expected shape {expected}, found {list(x.shape)}")
    return x


def _not_fitted(name: str) -> RuntimeError:
    return RuntimeError(f"{name}: not fitted; call fit(train, steps_per_day) first")


class ARIMAForecaster:
    """ARIMA per node with the order chosen by AIC, forecasting windows with fixed parameters.

    Args:
        n_pred: steps forecast (12).
        orders: the (p, d, q) grid; all must share d (0 or 1) since AIC does not compare
            models fitted to differently differenced series.
        max_fit_steps: fit on at most this many of the last training steps (2016, a week of
            5-minute readings; None: all). Each fit is linear in it, and 207 nodes times six
            orders is the bulk of the cost.
        progress: show a progress bar over nodes while fitting.

    After :meth:`fit`: ``order_`` [N, 3] chosen orders, ``aic_`` [N], ``mean_`` [N] (the
    process mean; 0 when d = 1), ``ar_`` [N, max p] and ``ma_`` [N, max q] coefficients
    (zero-padded), in statsmodels' sign convention
    ``z_t = sum_i ar_i z_{t-i} + e_t + sum_j ma_j e_{t-j}``.
    """

    def __init__(self, n_pred: int = 12, orders: Iterable[tuple[int, int, int]] = DEFAULT_ORDERS,
                 max_fit_steps: int | None = 2016, progress: bool = True):
        self.n_pred = int(n_pred)
        self.orders = [tuple(int(v) for v in o) for o in orders]
        if self.n_pred < 1:
            raise ValueError(f"n_pred: expected a positive integer, found {n_pred!r}")
        if not self.orders or any(len(o) != 3 or min(o) < 0 for o in self.orders):
            raise ValueError(f"orders: expected non-empty (p, d, q) triples of non-negative "
                             f"integers, found {self.orders}")
        ds = {o[1] for o in self.orders}
        if len(ds) != 1 or ds.pop() not in (0, 1):
            raise ValueError(f"orders: expected one differencing order d, 0 or 1, shared by all "
                             f"orders, found {self.orders}")
        self.d = self.orders[0][1]
        if max_fit_steps is not None and (int(max_fit_steps) != max_fit_steps or max_fit_steps < 1):
            raise ValueError(f"max_fit_steps: expected a positive integer or None, found "
                             f"{max_fit_steps!r}")
        self.max_fit_steps = max_fit_steps
        self.progress = progress

    def fit(self, train: np.ndarray, steps_per_day: int) -> "ARIMAForecaster":
        """Fit every node's training series, at most its last ``max_fit_steps`` steps
        (``steps_per_day`` is checked, not used: the training days are fitted as one series)."""
        from statsmodels.tsa.arima.model import ARIMA   # optional at import time of the package

        max_p = max(o[0] for o in self.orders)
        max_q = max(o[2] for o in self.orders)
        y = _check_train(train, steps_per_day, 4 * (max_p + max_q + self.d) + 10)
        if self.max_fit_steps is not None:
            y = y[-self.max_fit_steps:]
        n = y.shape[1]
        self.n_nodes = n
        self.order_ = np.zeros((n, 3), dtype=int)
        self.aic_ = np.full(n, np.inf)
        self.mean_ = np.zeros(n)
        self.ar_ = np.zeros((n, max_p))
        self.ma_ = np.zeros((n, max_q))
        trend = "c" if self.d == 0 else "n"
        for node in tqdm(range(n), desc="ARIMA nodes", disable=not self.progress):
            for order in self.orders:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")   # convergence / start-value notices
                        res = ARIMA(y[:, node], order=order, trend=trend).fit()
                except (np.linalg.LinAlgError, ValueError):
                    continue
                if not np.isfinite(res.aic) or res.aic >= self.aic_[node]:
                    continue
                self.aic_[node] = res.aic
                self.order_[node] = order
                self.mean_[node] = res.params[0] if trend == "c" else 0.0
                self.ar_[node] = 0
                self.ma_[node] = 0
                self.ar_[node, :order[0]] = res.arparams
                self.ma_[node, :order[2]] = res.maparams
            if not np.isfinite(self.aic_[node]):
                raise RuntimeError(f"ARIMA: no order in {self.orders} could be fitted to node "
                                   f"{node}")
        return self

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """[W, n_his, N] histories -> [W, n_pred, N] forecasts."""
        if not hasattr(self, "ar_"):
            raise _not_fitted("ARIMAForecaster")
        x = _check_windows(windows, self.n_nodes)
        p, q = self.ar_.shape[1], self.ma_.shape[1]
        if x.shape[1] <= p + self.d:
            raise ValueError(f"windows: expected more than {p + self.d} steps of history, "
                             f"found {x.shape[1]}")
        z = np.diff(x, axis=1) if self.d == 1 else x
        z = z - self.mean_                                   # [W, T, N]
        steps = z.shape[1]
        series = np.concatenate([z, np.zeros((z.shape[0], self.n_pred, z.shape[2]))], axis=1)
        shocks = np.zeros_like(series)
        start = max(p, q)
        for t in range(start, steps + self.n_pred):
            fitted = sum(self.ar_[:, i] * series[:, t - 1 - i] for i in range(p))
            fitted = fitted + sum(self.ma_[:, j] * shocks[:, t - 1 - j] for j in range(q))
            if t < steps:
                shocks[:, t] = series[:, t] - fitted
            else:
                series[:, t] = fitted
        forecast = series[:, steps:] + self.mean_
        if self.d == 1:
            forecast = x[:, -1:] + np.cumsum(forecast, axis=1)
        return forecast


class SVRForecaster:
    """One SVR shared by all nodes: the last ``n_his`` readings of a node -> each of its next
    ``n_pred`` readings (one regressor per horizon step).

    Args:
        n_his, n_pred: history and horizon (12, 12).
        kernel, C, epsilon, gamma: scikit-learn ``SVR`` settings, on standardised readings
            ("rbf", 1.0, 0.1, "scale"); kernel "rbf" or "linear".
        max_rows: training rows kept (5000), drawn without replacement with ``seed``.
        seed: the subsampling seed (0).
    """

    def __init__(self, n_his: int = 12, n_pred: int = 12, kernel: str = "rbf", C: float = 1.0,
                 epsilon: float = 0.1, gamma: str | float = "scale", max_rows: int = 5000,
                 seed: int = 0):
        for name, value in (("n_his", n_his), ("n_pred", n_pred), ("max_rows", max_rows)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name}: expected a positive integer, found {value!r}")
        if kernel not in ("rbf", "linear"):
            raise ValueError(f"kernel: expected 'rbf' or 'linear', found {kernel!r}")
        self.n_his, self.n_pred = int(n_his), int(n_pred)
        self.max_rows, self.seed = int(max_rows), seed
        self.svr_options = dict(kernel=kernel, C=C, epsilon=epsilon, gamma=gamma)

    def training_rows(self, train: np.ndarray, steps_per_day: int) -> tuple[np.ndarray, np.ndarray]:
        """All within-day rows of every node: inputs [R, n_his] and targets [R, n_pred]
        (the day's last steps end the final window; a trailing partial day counts as a day)."""
        span = self.n_his + self.n_pred
        inputs, targets = [], []
        for start in range(0, train.shape[0], steps_per_day):
            day = train[start:start + steps_per_day]                        # [S, N]
            if day.shape[0] < span:
                continue
            # [S - span + 1, N, span]
            windows = np.lib.stride_tricks.sliding_window_view(day, span, axis=0)
            rows = windows.reshape(-1, span)
            inputs.append(rows[:, :self.n_his])
            targets.append(rows[:, self.n_his:])
        if not inputs:
            raise ValueError(f"train: expected days of at least n_his + n_pred = {span} steps, "
                             f"found {train.shape[0]} steps with steps_per_day {steps_per_day}")
        return np.concatenate(inputs), np.concatenate(targets)

    def fit(self, train: np.ndarray, steps_per_day: int) -> "SVRForecaster":
        """Fit on the within-day windows of the training readings [T, N]."""
        from sklearn.svm import SVR

        y = _check_train(train, steps_per_day, self.n_his + self.n_pred)
        self.n_nodes = y.shape[1]
        self.center_, self.scale_ = float(y.mean()), float(y.std()) or 1.0
        inputs, targets = self.training_rows((y - self.center_) / self.scale_, steps_per_day)
        if len(inputs) > self.max_rows:
            keep = np.sort(np.random.default_rng(self.seed).choice(len(inputs), self.max_rows,
                                                                   replace=False))
            inputs, targets = inputs[keep], targets[keep]
        options = dict(self.svr_options)
        if options["gamma"] == "scale":           # resolved here so prediction can reuse it
            options["gamma"] = 1.0 / (inputs.shape[1] * inputs.var()) if inputs.var() > 0 else 1.0
        elif options["gamma"] == "auto":
            options["gamma"] = 1.0 / inputs.shape[1]
        self.kernel_options_ = options
        self.n_rows_ = len(inputs)
        self.models_ = [SVR(**options).fit(inputs, targets[:, h]) for h in range(self.n_pred)]
        # every step's SVR keeps some of the same rows as support vectors: one dual
        # coefficient matrix [rows, n_pred] lets prediction compute the kernel once for all steps
        self.inputs_ = inputs
        self.dual_ = np.zeros((len(inputs), self.n_pred))
        for h, m in enumerate(self.models_):
            self.dual_[m.support_, h] = m.dual_coef_[0]
        self.intercept_ = np.array([m.intercept_[0] for m in self.models_])
        return self

    def predict(self, windows: np.ndarray, chunk: int = 2048) -> np.ndarray:
        """[W, n_his, N] histories -> [W, n_pred, N] forecasts (the same numbers as each step's
        ``SVR.predict``, with the kernel against the training rows computed once, ``chunk``
        rows at a time)."""
        from sklearn.metrics.pairwise import pairwise_kernels

        if not hasattr(self, "models_"):
            raise _not_fitted("SVRForecaster")
        x = _check_windows(windows, self.n_nodes, self.n_his)
        rows = ((x - self.center_) / self.scale_).transpose(0, 2, 1).reshape(-1, self.n_his)
        opts = self.kernel_options_
        out = np.empty((len(rows), self.n_pred))
        for start in range(0, len(rows), chunk):
            kernel = pairwise_kernels(rows[start:start + chunk], self.inputs_,
                                      metric=opts["kernel"], filter_params=True,
                                      gamma=opts["gamma"])
            out[start:start + chunk] = kernel @ self.dual_ + self.intercept_
        out = out * self.scale_ + self.center_
        return out.reshape(x.shape[0], x.shape[2], self.n_pred).transpose(0, 2, 1)
