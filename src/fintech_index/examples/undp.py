"""UNDP's own formulas, registered through the public kernel hook (no change to the engine).

Reference: UNDP (2024), Human Development Report 2023/2024, Technical Notes 3 (GDI) and 4
(GII).
"""

from __future__ import annotations

import numpy as np

from ..errors import MethodError
from ..methods import register


@register("aggregate", "undp_ratio")
def undp_ratio(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Ratio of the first child to the second: GDI = HDI_female / HDI_male. Weights unused."""
    if x.shape[-1] != 2:
        raise MethodError("A15", f"undp_ratio takes exactly two children, got {x.shape[-1]}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return x[..., 0] / x[..., 1]


@register("aggregate", "undp_gii")
def undp_gii(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gender Inequality Index from raw indicators, children in the order
    MMR, ABR, PR_f, SE_f, LFPR_f, PR_m, SE_m, LFPR_m (PR, SE, LFPR in %). Weights unused.

    MMR is truncated to [10, 1000]; then, with shares as fractions::

        G_F = cbrt( sqrt(10/MMR * 1/ABR) * sqrt(PR_F * SE_F) * LFPR_F )
        G_M = cbrt( 1 * sqrt(PR_M * SE_M) * LFPR_M )
        HARM = 1 / ((1/G_F + 1/G_M) / 2)
        G_FM = cbrt( (sqrt(10/MMR * 1/ABR) + 1)/2 * (sqrt(PR_F SE_F) + sqrt(PR_M SE_M))/2
                     * (LFPR_F + LFPR_M)/2 )
        GII = 1 - HARM / G_FM
    """
    if x.shape[-1] != 8:
        raise MethodError("A15", f"undp_gii takes 8 children (mmr, abr, pr_f, se_f, lfpr_f, pr_m, "
                                 f"se_m, lfpr_m), got {x.shape[-1]}")
    mmr = np.clip(x[..., 0], 10.0, 1000.0)
    abr = x[..., 1]
    pr_f, se_f, lf, pr_m, se_m, lm = (x[..., k] / 100.0 for k in range(2, 8))
    with np.errstate(invalid="ignore", divide="ignore"):
        health_f = np.sqrt(10.0 / mmr * 1.0 / abr)
        emp_f = np.sqrt(pr_f * se_f)
        emp_m = np.sqrt(pr_m * se_m)
        g_f = (health_f * emp_f * lf) ** (1.0 / 3.0)
        g_m = (1.0 * emp_m * lm) ** (1.0 / 3.0)
        harm = 1.0 / ((1.0 / g_f + 1.0 / g_m) / 2.0)
        g_fm = (((health_f + 1.0) / 2.0) * ((emp_f + emp_m) / 2.0) * ((lf + lm) / 2.0)) ** (
            1.0 / 3.0)
        return 1.0 - harm / g_fm
