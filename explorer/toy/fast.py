"""A fused, compiled backend for the 2D toy: the solver core's methods and step rules, one start at a time.

The toy is 10^4 independent starts x 1300 iterations of a five-component mixture score: tiny work spread
over many small array operations, where per-operation overhead dominates. Here every start keeps its state
in registers for the whole run (numba, parallel over starts). The GNC flow with a fixed step, the hot path
of the basin and rate maps, runs on blocks of starts so the compiler vectorises it, with an exp written for
that purpose. `tests/test_toy_fast.py` checks every method and step rule against `explorer.core.solvers`.

Inside the kernels methods and step rules are plain integers (compiled code cannot take the solver's
objects): their positions in `explorer.core.registry`, bound to the names below at import.
"""

from __future__ import annotations

import atexit
import math
import subprocess
import sys
import threading
from dataclasses import dataclass

import numpy as np
import numba
import torch
from numba import njit, prange

from explorer.core.registry import METHODS, STEP_RULES, make_method, make_step_rule, method_code, step_rule_code
from explorer.core.solvers import solve
from explorer.toy.problem import MEANS, VARIANCES, ToyProblem

_GNC, _GRADIENT_LIKE, _ADAPTIVE, _GD = (list(METHODS).index(name)
                                        for name in ("gnc", "gradient-like", "adaptive", "gd"))
_FIXED, _ARMIJO, _BB, _BB_PLAIN = (list(STEP_RULES).index(name) for name in ("fixed", "armijo", "bb", "bb-plain"))

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_BLOCK = 64  # starts per vectorised block
# Responsibilities below exp(-40) ~ 4e-18 of the largest are dropped: beneath float64 resolution of their
# sum, and it keeps 2^n to six bits.
_FLOOR = -40.0
# Fast-math without the no-NaN / no-Inf assumptions, so that divergence checks stay in the compiled code.
_FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(inline="always", fastmath=_FAST, cache=True)
def _exp_neg(x):
    """exp(x) for -40 <= x <= 0 to about 3e-14 relative (exp(-40) below): Cody-Waite reduction, Taylor to
    degree 11, 2^n by bits.

    Written without calls or table look-ups so that loops over starts vectorise.
    """
    x = max(x, _FLOOR)
    nf = math.floor(x * _LOG2E + 0.5)
    r = (x - nf * _LN2_HI) - nf * _LN2_LO
    p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800)))))))))))
    # int32 keeps the conversion vectorisable on AVX2 (there is no packed double -> int64 before AVX-512).
    m = np.int32(-nf)
    s = 0.5 if (m & 1) else 1.0
    s *= 0.25 if (m & 2) else 1.0
    s *= 0.0625 if (m & 4) else 1.0
    s *= 0.00390625 if (m & 8) else 1.0
    s *= 1.52587890625e-05 if (m & 16) else 1.0
    s *= 2.3283064365386963e-10 if (m & 32) else 1.0
    return p * s


@njit(cache=True)
def _tables(ts, variances, sigma):
    """Per-t constants of every component: 1 / c_k(t) and log(1/K) - log(2 pi c_k(t)), c_k = s_k + v(t)."""
    n, k_count = ts.shape[0], variances.shape[0]
    inv_c = np.empty((n, k_count))
    log_norm = np.empty((n, k_count))
    two_ln = 2.0 * math.log(sigma)
    for k in range(n):
        v = (sigma ** (2.0 * ts[k]) - 1.0) / two_ln
        for j in range(k_count):
            c = variances[j] + v
            inv_c[k, j] = 1.0 / c
            log_norm[k, j] = -math.log(k_count) - math.log(2.0 * math.pi * c)
    return inv_c, log_norm


@njit(inline="always", fastmath=_FAST, cache=True)
def _grad(x1, x2, row, inv_c, log_norm, means, a, y, dw, pw, want_value):
    """F(x, t) (if want_value) and grad_x F(x, t) at one point; `row` indexes the t tables."""
    k_count = means.shape[0]
    lmax = -1e300
    for j in range(k_count):
        d1 = means[j, 0] - x1
        d2 = means[j, 1] - x2
        lmax = max(lmax, log_norm[row, j] - 0.5 * inv_c[row, j] * (d1 * d1 + d2 * d2))
    z = 0.0
    s1 = 0.0
    s2 = 0.0
    for j in range(k_count):
        d1 = means[j, 0] - x1
        d2 = means[j, 1] - x2
        # One start at a time nothing vectorises, and libm's exp is the faster scalar.
        e = math.exp(max(log_norm[row, j] - 0.5 * inv_c[row, j] * (d1 * d1 + d2 * d2) - lmax, _FLOOR))
        z += e
        w = e * inv_c[row, j]
        s1 += w * d1
        s2 += w * d2
    r1 = a[0, 0] * x1 + a[0, 1] * x2 - y[0]
    r2 = a[1, 0] * x1 + a[1, 1] * x2 - y[1]
    g1 = dw * (a[0, 0] * r1 + a[1, 0] * r2) - pw * s1 / z
    g2 = dw * (a[0, 1] * r1 + a[1, 1] * r2) - pw * s2 / z
    value = 0.0
    if want_value:
        value = 0.5 * dw * (r1 * r1 + r2 * r2) - pw * (lmax + math.log(z))
    return value, g1, g2


@njit(parallel=True, fastmath=_FAST, cache=True)
def _gnc_fixed(x0, ts, inv_c, log_norm, means, a, y, dw, pw, step, x_star, radius, stride):
    """GNC flow with a fixed step on blocks of starts; also flags, every `stride` iterations, |x - x*| < radius."""
    b_count, n = x0.shape[0], ts.shape[0]
    k_count = means.shape[0]
    out = np.empty_like(x0)
    n_rec = (n + stride - 1) // stride
    hits = np.zeros((b_count, n_rec), dtype=np.uint8)
    n_blocks = (b_count + _BLOCK - 1) // _BLOCK
    r2 = radius * radius
    for blk in prange(n_blocks):
        lo = blk * _BLOCK
        hi = min(b_count, lo + _BLOCK)
        m = hi - lo
        x1 = np.zeros(_BLOCK)
        x2 = np.zeros(_BLOCK)
        x1[:m] = x0[lo:hi, 0]
        x2[:m] = x0[lo:hi, 1]
        logits = np.empty((k_count, _BLOCK))
        lmax = np.empty(_BLOCK)
        z = np.empty(_BLOCK)
        s1 = np.empty(_BLOCK)
        s2 = np.empty(_BLOCK)
        for k in range(n):
            bt = step * ts[k]
            for i in range(_BLOCK):
                lmax[i] = -1e300
                z[i] = 0.0
                s1[i] = 0.0
                s2[i] = 0.0
            for j in range(k_count):
                m1, m2 = means[j, 0], means[j, 1]
                half, off = 0.5 * inv_c[k, j], log_norm[k, j]
                for i in range(_BLOCK):
                    d1 = m1 - x1[i]
                    d2 = m2 - x2[i]
                    lj = off - half * (d1 * d1 + d2 * d2)
                    logits[j, i] = lj
                    lmax[i] = max(lmax[i], lj)
            for j in range(k_count):
                m1, m2, ic = means[j, 0], means[j, 1], inv_c[k, j]
                for i in range(_BLOCK):
                    e = _exp_neg(logits[j, i] - lmax[i])
                    z[i] += e
                    w = e * ic
                    s1[i] += w * (m1 - x1[i])
                    s2[i] += w * (m2 - x2[i])
            for i in range(_BLOCK):
                q1 = a[0, 0] * x1[i] + a[0, 1] * x2[i] - y[0]
                q2 = a[1, 0] * x1[i] + a[1, 1] * x2[i] - y[1]
                g1 = dw * (a[0, 0] * q1 + a[1, 0] * q2) - pw * s1[i] / z[i]
                g2 = dw * (a[0, 1] * q1 + a[1, 1] * q2) - pw * s2[i] / z[i]
                x1[i] -= bt * g1
                x2[i] -= bt * g2
            if (k + 1) % stride == 0 or k == n - 1:
                col = (k + stride) // stride - 1
                for i in range(m):
                    e1 = x1[i] - x_star[0]
                    e2 = x2[i] - x_star[1]
                    hits[lo + i, col] = 1 if e1 * e1 + e2 * e2 < r2 else 0
        out[lo:hi, 0] = x1[:m]
        out[lo:hi, 1] = x2[:m]
    return out, hits


@njit(parallel=True, fastmath=_FAST, cache=True)
def _general(x0, ts, inv_c, log_norm, means, a, y, dw, pw, method, rule, b0, r, c, max_tries, scale, b_min,
             b_max, c_angle, x_star, radius, stride, rec_x, rec):
    """Every method and step rule, one start at a time (see the module docstring for the codes).

    When rec_x has shape (B, N + 1, 2), the path is recorded there and rec (6, B, N) receives t, step, f,
    |grad f|, the descent cosine and whether a step was taken, per iteration.
    """
    b_count, n = x0.shape[0], ts.shape[0]
    record = rec_x.shape[1] > 0
    last = n  # the extra table row n holds t_min
    out = np.empty_like(x0)
    n_rec = (n + stride - 1) // stride
    hits = np.zeros((b_count, n_rec), dtype=np.uint8)
    diverged = np.zeros(b_count, dtype=np.bool_)
    skipped = np.zeros(b_count, dtype=np.int64)
    r2 = radius * radius
    searches = rule == _ARMIJO or rule == _BB
    for i in prange(b_count):
        x1, x2 = x0[i, 0], x0[i, 1]
        level = 0
        has_prev = False
        px1 = px2 = pg1 = pg2 = 0.0
        if record:
            rec_x[i, 0, 0] = x1
            rec_x[i, 0, 1] = x2
        known = False  # f and grad f at (x1, x2) are known from the accepted line-search trial
        fx = gf1 = gf2 = 0.0
        for k in range(n):
            if not known:
                fx, gf1, gf2 = _grad(x1, x2, last, inv_c, log_norm, means, a, y, dw, pw, True)
                known = True
            if method == _GD:
                t = ts[n - 1]
                d1, d2 = -gf1, -gf2
            else:
                if method != _ADAPTIVE:
                    level = k
                _, g1, g2 = _grad(x1, x2, level, inv_c, log_norm, means, a, y, dw, pw, False)
                t = ts[level]
                d1, d2 = -t * g1, -t * g2
                if method == _ADAPTIVE:
                    while level < n - 1:
                        nd = math.sqrt(d1 * d1 + d2 * d2) * math.sqrt(gf1 * gf1 + gf2 * gf2)
                        cos = (d1 * gf1 + d2 * gf2) / nd if nd > 0 else 0.0
                        if cos <= -c_angle:
                            break
                        level += 1
                        t = ts[level]
                        _, g1, g2 = _grad(x1, x2, level, inv_c, log_norm, means, a, y, dw, pw, False)
                        d1, d2 = -t * g1, -t * g2
            slope = gf1 * d1 + gf2 * d2
            # Diagnostics at x_k, kept before a line search may replace f and grad f by those at x_{k+1}.
            f_k = fx
            gnorm_k = math.sqrt(gf1 * gf1 + gf2 * gf2)
            nd = math.sqrt(d1 * d1 + d2 * d2) * gnorm_k
            cos_k = slope / nd if nd > 0 else 0.0
            must_descend = method == _GRADIENT_LIKE or method == _ADAPTIVE or searches
            b = b0
            if (rule == _BB or rule == _BB_PLAIN) and has_prev:
                s1, s2 = x1 - px1, x2 - px2
                y1, y2 = -d1 - pg1, -d2 - pg2
                ss = s1 * s1 + s2 * s2
                sy = s1 * y1 + s2 * y2
                if sy > 0 and ss > 0:
                    guess = scale * ss / sy
                    if abs(guess) < math.inf:
                        b = min(max(guess, b_min), b_max)
            take = (not must_descend) or slope < 0
            f_new = g_new1 = g_new2 = 0.0
            if take and searches:
                take = False
                for _ in range(max_tries):
                    f_new, g_new1, g_new2 = _grad(x1 + b * d1, x2 + b * d2, last, inv_c, log_norm, means, a, y,
                                                  dw, pw, True)
                    if f_new <= fx + c * b * slope:
                        take = True
                        break
                    b *= r
            has_prev = True
            px1, px2, pg1, pg2 = x1, x2, -d1, -d2
            if take:
                n1, n2 = x1 + b * d1, x2 + b * d2
                # abs(v) < inf is False for NaN and Inf, and survives fast-math rewriting.
                if not (abs(n1) < math.inf and abs(n2) < math.inf):
                    diverged[i] = True
                    if record:
                        for kk in range(k, n):
                            rec_x[i, kk + 1, 0] = x1
                            rec_x[i, kk + 1, 1] = x2
                            for q in range(6):
                                rec[q, i, kk] = math.nan
                    break
                x1, x2 = n1, n2
                if searches:
                    fx, gf1, gf2 = f_new, g_new1, g_new2
                else:
                    known = False
            else:
                skipped[i] += 1
            if record:
                rec_x[i, k + 1, 0] = x1
                rec_x[i, k + 1, 1] = x2
                rec[0, i, k] = t
                rec[1, i, k] = b if take else 0.0
                rec[2, i, k] = f_k
                rec[3, i, k] = gnorm_k
                rec[4, i, k] = cos_k
                rec[5, i, k] = 1.0 if take else 0.0
            if (k + 1) % stride == 0 or k == n - 1:
                e1 = x1 - x_star[0]
                e2 = x2 - x_star[1]
                hits[i, (k + stride) // stride - 1] = 1 if e1 * e1 + e2 * e2 < r2 else 0
        out[i, 0] = x1
        out[i, 1] = x2
    return out, hits, diverged, skipped


@njit(inline="always", fastmath=_FAST, cache=True)
def _eval_block(x1, x2, row, inv_c, log_norm, means, a, y, dw, pw, f, g1, g2, logits, lmax, z, s1, s2, want_value):
    """grad_x F(x, t), and F(x, t) if want_value, for a block of points at once (the loops vectorise)."""
    size = x1.shape[0]
    k_count = means.shape[0]
    for i in range(size):
        lmax[i] = -1e300
        z[i] = 0.0
        s1[i] = 0.0
        s2[i] = 0.0
    for j in range(k_count):
        m1, m2 = means[j, 0], means[j, 1]
        half, off = 0.5 * inv_c[row, j], log_norm[row, j]
        for i in range(size):
            d1 = m1 - x1[i]
            d2 = m2 - x2[i]
            lj = off - half * (d1 * d1 + d2 * d2)
            logits[j, i] = lj
            lmax[i] = max(lmax[i], lj)
    for j in range(k_count):
        m1, m2, ic = means[j, 0], means[j, 1], inv_c[row, j]
        for i in range(size):
            e = _exp_neg(logits[j, i] - lmax[i])
            z[i] += e
            w = e * ic
            s1[i] += w * (m1 - x1[i])
            s2[i] += w * (m2 - x2[i])
    for i in range(size):
        q1 = a[0, 0] * x1[i] + a[0, 1] * x2[i] - y[0]
        q2 = a[1, 0] * x1[i] + a[1, 1] * x2[i] - y[1]
        g1[i] = dw * (a[0, 0] * q1 + a[1, 0] * q2) - pw * s1[i] / z[i]
        g2[i] = dw * (a[0, 1] * q1 + a[1, 1] * q2) - pw * s2[i] / z[i]
    if want_value:
        # A separate loop: the log is a library call per start, paid only where f is needed.
        for i in range(size):
            q1 = a[0, 0] * x1[i] + a[0, 1] * x2[i] - y[0]
            q2 = a[1, 0] * x1[i] + a[1, 1] * x2[i] - y[1]
            f[i] = 0.5 * dw * (q1 * q1 + q2 * q2) - pw * (lmax[i] + math.log(z[i]))


_SEARCH_BLOCK = 16  # starts per block in the line-search kernel: small, so one slow start holds back few


@njit(parallel=True, fastmath=_FAST, cache=True)
def _search_blocks(x0, ts, inv_c, log_norm, means, a, y, dw, pw, method, rule, b0, r, c, max_tries, scale, b_min,
                   b_max, x_star, radius, stride):
    """GNC, gradient-like and gradient descent with any step rule, on blocks of starts (not adaptive).

    Every start of a block walks the same iterations; a line search tries all starts of the block together
    until each has passed or run out of tries, so the arithmetic vectorises like `_gnc_fixed`.
    """
    b_count, n = x0.shape[0], ts.shape[0]
    k_count = means.shape[0]
    last = n
    size = _SEARCH_BLOCK
    out = np.empty_like(x0)
    n_rec = (n + stride - 1) // stride
    hits = np.zeros((b_count, n_rec), dtype=np.uint8)
    diverged = np.zeros(b_count, dtype=np.bool_)
    skipped = np.zeros(b_count, dtype=np.int64)
    searches = rule == _ARMIJO or rule == _BB
    must_descend = method == _GRADIENT_LIKE or searches
    r2 = radius * radius
    n_blocks = (b_count + size - 1) // size
    for blk in prange(n_blocks):
        lo = blk * size
        hi = min(b_count, lo + size)
        m = hi - lo
        x1 = np.zeros(size)
        x2 = np.zeros(size)
        x1[:m] = x0[lo:hi, 0]
        x2[:m] = x0[lo:hi, 1]
        alive = np.zeros(size, dtype=np.bool_)
        alive[:m] = True
        fx, gf1, gf2 = np.empty(size), np.empty(size), np.empty(size)
        g1, g2, fF = np.empty(size), np.empty(size), np.empty(size)
        tx1, tx2 = np.empty(size), np.empty(size)
        tf, tg1, tg2 = np.empty(size), np.empty(size), np.empty(size)
        d1, d2, slope, b = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        px1, px2, pg1, pg2 = np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size)
        take = np.zeros(size, dtype=np.bool_)
        pending = np.zeros(size, dtype=np.bool_)
        logits = np.empty((k_count, size))
        lmax, z, s1, s2 = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        _eval_block(x1, x2, last, inv_c, log_norm, means, a, y, dw, pw, fx, gf1, gf2, logits, lmax, z, s1, s2, True)
        for k in range(n):
            if method == _GD:
                for i in range(size):
                    d1[i] = -gf1[i]
                    d2[i] = -gf2[i]
            else:
                _eval_block(x1, x2, k, inv_c, log_norm, means, a, y, dw, pw, fF, g1, g2, logits, lmax, z, s1, s2,
                            False)
                t = ts[k]
                for i in range(size):
                    d1[i] = -t * g1[i]
                    d2[i] = -t * g2[i]
            for i in range(size):
                slope[i] = gf1[i] * d1[i] + gf2[i] * d2[i]
                b[i] = b0
                if (rule == _BB or rule == _BB_PLAIN) and k > 0:
                    e1, e2 = x1[i] - px1[i], x2[i] - px2[i]
                    y1, y2 = -d1[i] - pg1[i], -d2[i] - pg2[i]
                    ss = e1 * e1 + e2 * e2
                    sy = e1 * y1 + e2 * y2
                    if sy > 0 and ss > 0:
                        guess = scale * ss / sy
                        if abs(guess) < math.inf:
                            b[i] = min(max(guess, b_min), b_max)
                take[i] = alive[i] and ((not must_descend) or slope[i] < 0)
            if searches:
                count = 0
                for i in range(size):
                    pending[i] = take[i]
                    take[i] = False
                    count += pending[i]
                for _ in range(max_tries):
                    if count == 0:
                        break
                    for i in range(size):
                        tx1[i] = x1[i] + b[i] * d1[i]
                        tx2[i] = x2[i] + b[i] * d2[i]
                    _eval_block(tx1, tx2, last, inv_c, log_norm, means, a, y, dw, pw, tf, tg1, tg2, logits, lmax,
                                z, s1, s2, True)
                    count = 0
                    for i in range(size):
                        if pending[i]:
                            if tf[i] <= fx[i] + c * b[i] * slope[i]:
                                take[i] = True
                                pending[i] = False
                            else:
                                b[i] *= r
                                count += 1
            moved = False
            for i in range(size):
                px1[i], px2[i], pg1[i], pg2[i] = x1[i], x2[i], -d1[i], -d2[i]
                if take[i]:
                    n1, n2 = x1[i] + b[i] * d1[i], x2[i] + b[i] * d2[i]
                    if abs(n1) < math.inf and abs(n2) < math.inf:
                        x1[i], x2[i] = n1, n2
                        moved = True
                        if searches:
                            fx[i], gf1[i], gf2[i] = tf[i], tg1[i], tg2[i]
                    else:
                        alive[i] = False
                        take[i] = False
                if i < m and not take[i]:
                    skipped[lo + i] += 1
            if not searches and moved:
                _eval_block(x1, x2, last, inv_c, log_norm, means, a, y, dw, pw, fx, gf1, gf2, logits, lmax, z, s1,
                            s2, True)
            if (k + 1) % stride == 0 or k == n - 1:
                col = (k + stride) // stride - 1
                for i in range(m):
                    e1 = x1[i] - x_star[0]
                    e2 = x2[i] - x_star[1]
                    hits[lo + i, col] = 1 if e1 * e1 + e2 * e2 < r2 else 0
        for i in range(m):
            out[lo + i, 0] = x1[i]
            out[lo + i, 1] = x2[i]
            diverged[lo + i] = not alive[i]
    return out, hits, diverged, skipped


@njit(parallel=True, fastmath=_FAST, cache=True)
def _grad_f(x, inv_c, log_norm, means, a, y, dw, pw):
    """f(x) and |grad f(x)| at many points (row 0 of the tables holds t_min)."""
    b_count = x.shape[0]
    f = np.empty(b_count)
    g = np.empty(b_count)
    for i in prange(b_count):
        v, g1, g2 = _grad(x[i, 0], x[i, 1], 0, inv_c, log_norm, means, a, y, dw, pw, True)
        f[i] = v
        g[i] = math.sqrt(g1 * g1 + g2 * g2)
    return f, g


@dataclass
class FastResult:
    """Outcome of a fused toy run for B starts."""

    final: np.ndarray  # (B, 2) last iterates
    hits: np.ndarray  # (B, ceil(N / stride)) uint8: within `radius` of x* after every stride iterations and at N
    grad_norm: np.ndarray  # (B,) |grad f| at the last iterate
    f: np.ndarray  # (B,) f at the last iterate
    diverged: np.ndarray  # (B,) bool: a NaN or Inf appeared (the start stopped before it)
    skipped: np.ndarray  # (B,) number of iterations without a step (only tracked off the GNC fast path)
    stride: int
    path: np.ndarray | None = None  # (B, N + 1, 2) every iterate, when recorded
    records: dict[str, np.ndarray] | None = None  # t, step, f, grad_norm, cos, taken: each (B, N), when recorded


def run(problem: ToyProblem, x0: np.ndarray, schedule: np.ndarray, method, step_rule, *, radius: float = 0.1,
        stride: int = 1, x_star: np.ndarray | None = None, record: bool = False) -> FastResult:
    """Run a solver-core method on the toy with the fused backend.

    Parameters
    ----------
    problem : ToyProblem
        Weights, t_min and the SDE base.
    x0 : ndarray, shape (B, 2)
        Starts.
    schedule : ndarray, shape (N,)
        t_1 > ... > t_N.
    method, step_rule :
        Objects built by `explorer.core.registry.make_method` and `make_step_rule`.
    radius, stride :
        `hits` records |x_k - x*| < radius every `stride` iterations.
    record : bool
        Keep every iterate and the per-iteration diagnostics (for a few starts: memory grows as B x N).
    """
    try:
        m_code, r_code = method_code(method), step_rule_code(step_rule)
    except StopIteration:
        raise ValueError(f"the fused toy backend has no kernel for {type(method).__name__} with "
                         f"{type(step_rule).__name__}") from None
    if getattr(step_rule, "memory", 1) != 1:
        raise ValueError("the fused toy backend has no kernel for a nonmonotone line search (memory > 1)")
    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    ts = np.ascontiguousarray(schedule, dtype=np.float64)
    means = MEANS.numpy()
    variances = VARIANCES.numpy()
    a = problem.operator.matrix.numpy()
    y = problem.y.numpy()[0]
    x_star = np.array([1.0, 1.0]) if x_star is None else np.asarray(x_star, dtype=np.float64)
    with_min = np.concatenate([ts, [problem.t_min]])
    inv_c, log_norm = _tables(with_min, variances, problem.sigma)
    dw, pw = problem.data_weight, problem.prior_weight
    b_count, n = x0.shape[0], ts.shape[0]
    rec_x = np.full((b_count, n + 1 if record else 0, 2), np.nan)
    rec = np.full((6, b_count, n if record else 0), np.nan)
    if m_code == _GNC and r_code == _FIXED and not record:
        final, hits = _gnc_fixed(x0, ts, inv_c, log_norm, means, a, y, dw, pw, float(step_rule.step), x_star,
                                 radius, stride)
        diverged = ~np.isfinite(final).all(1)
        skipped = np.zeros(len(x0), dtype=np.int64)
    elif m_code != _ADAPTIVE and not record:
        final, hits, diverged, skipped = _search_blocks(
            x0, ts, inv_c, log_norm, means, a, y, dw, pw, m_code, r_code, *_rule_numbers(step_rule),
            x_star, radius, stride)
    else:
        final, hits, diverged, skipped = _general(
            x0, ts, inv_c, log_norm, means, a, y, dw, pw, m_code, r_code, *_rule_numbers(step_rule),
            float(getattr(method, "c_angle", 0.0)), x_star, radius, stride, rec_x, rec)
    t_min_tables = (inv_c[-1:], log_norm[-1:])
    f, grad_norm = _grad_f(np.nan_to_num(final), *t_min_tables, means, a, y, dw, pw)
    records = None
    if record:
        names = ("t", "step", "f", "grad_norm", "cos", "taken")
        records = {name: rec[q] for q, name in enumerate(names)}
    return FastResult(final, hits, grad_norm, f, diverged, skipped, stride, rec_x if record else None, records)


def _rule_numbers(step_rule) -> tuple[float, float, float, int, float, float, float]:
    """The step rule as the kernels take it: b0 (or the fixed step), r, c, max_tries, scale, b_min, b_max."""
    return (float(getattr(step_rule, "b0", getattr(step_rule, "step", 1.0))), float(getattr(step_rule, "r", 1.0)),
            float(getattr(step_rule, "c", 0.0)), int(getattr(step_rule, "max_tries", 1)),
            float(getattr(step_rule, "scale", 1.0)), float(getattr(step_rule, "b_min", 0.0)),
            float(getattr(step_rule, "b_max", math.inf)))


def set_threads(n: int) -> None:
    """Number of threads the kernels use."""
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


_WARM = threading.Event()  # set once the kernels behind `record=True` runs are compiled or loaded in this process
_WARMING = threading.Lock()
_CHILD: list[subprocess.Popen] = []  # the compiling child while it runs, stopped if this process exits first
_CHILD_NICE = 10


def _compile_here() -> None:
    """Compile (or load from numba's cache) the kernels a recorded run uses, on two starts and two iterations.

    Every recorded run goes through the one general kernel, whatever the method (an integer argument to it), so
    one run compiles all it needs.
    """
    problem = ToyProblem()
    x0 = np.array([[1.0, 1.0], [2.0, -3.0]])
    run(problem, x0, np.array([1.0, 0.5]), make_method("gnc"), make_step_rule("fixed"), record=True)


def _compile_in_a_child(timeout: float = 600.0) -> bool:
    """Compile the kernels into numba's on-disk cache in a child process at a lower CPU priority; True if the
    child finished cleanly.

    Compiling in this process would hold the GIL for seconds (numba's typing and lowering are Python) while the
    server builds a visitor's first page on the solver core, and on two cores it would take the CPU from the
    browser too: the first visit after an installation waited 11-16 s for a figure that way, against 6-8 s with
    the kernels cached. The child shares neither the GIL nor, being niced, the CPU when others want it.
    """
    # The child imports from this process's path (a checkout or an installation alike) and lowers its own
    # priority (not `preexec_fn`, which is unsafe in a threaded server).
    code = (f"import sys; sys.path[:0] = {list(sys.path)!r}; import os; "
            f"hasattr(os, 'nice') and os.nice({_CHILD_NICE}); from explorer.toy import fast; fast._compile_here()")
    try:
        child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    except OSError:
        return False
    _CHILD.append(child)
    try:
        return child.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        child.kill()
        return False
    finally:
        _CHILD.remove(child)


@atexit.register
def _stop_child() -> None:
    for child in list(_CHILD):
        child.kill()


def _warm_up() -> None:
    """Make the kernels ready in this process: compiled by a child into the cache, then loaded from it here (a
    fraction of a second). Where the cache cannot be written, or the child failed, they compile here."""
    try:
        _compile_in_a_child()
        _compile_here()
    finally:
        _WARM.set()


def start_warm_up() -> None:
    """Begin making the kernels ready in a background thread (once per process); returns at once."""
    if not _WARM.is_set() and _WARMING.acquire(blocking=False):
        threading.Thread(target=_warm_up, name="toy-kernels-warm-up", daemon=True).start()


def run_recorded(problem: ToyProblem, x0: np.ndarray, schedule: np.ndarray, method, step_rule) -> FastResult:
    """Every iterate and diagnostic of a few starts: the fused kernels once compiled, the solver core before.

    Compiling the kernels takes seconds on a first use after installation; until they are ready (they compile in
    the background meanwhile) the torch solver core, which `tests/test_toy_fast.py` checks them against, runs
    small jobs (at most CORE_WORK start-iterations) with the same method and step rule. Larger jobs, and a run
    that diverges (the core stops every start there, the kernels only the one), wait for the kernels.
    """
    start_warm_up()
    x0 = np.asarray(x0, dtype=np.float64)
    if not _WARM.is_set() and x0.shape[0] * len(schedule) <= CORE_WORK:
        result = _core_recorded(problem, x0, np.asarray(schedule, dtype=np.float64), method, step_rule)
        if result is not None:
            return result
    _WARM.wait()
    return run(problem, x0, schedule, method, step_rule, record=True)


CORE_WORK = 10_000  # start-iterations the solver core runs in about a second on two cores


def _core_recorded(problem: ToyProblem, x0: np.ndarray, schedule: np.ndarray, method, step_rule) -> FastResult | None:
    """A recorded run on the torch solver core, in the fused backend's form; None when it diverged."""
    trajectory = solve(problem.objective(), torch.from_numpy(x0), torch.from_numpy(schedule), method=method,
                       step_rule=step_rule)
    if trajectory.status != "finished":
        return None
    path = trajectory.x.permute(1, 0, 2).numpy()  # (B, N + 1, 2): every iterate is recorded
    records = {name: getattr(trajectory, name).double().T.numpy()
               for name in ("t", "step", "f", "grad_norm", "cos", "taken")}
    final = path[:, -1]
    with torch.no_grad():
        t_min = torch.full((len(final),), problem.t_min, dtype=torch.float64)
        f, grad = problem.objective().value_and_grad(torch.from_numpy(final), t_min)
    hits = (np.linalg.norm(final - 1.0, axis=1) < 0.1)[:, None].astype(np.uint8)
    return FastResult(final, hits, grad.norm(dim=1).numpy(), f.numpy(), np.zeros(len(final), dtype=bool),
                      (records["taken"] == 0).sum(1).astype(np.int64), len(schedule), path, records)
