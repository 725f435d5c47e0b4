"""numpy linear solve: LU factorisation and substitution (LAPACK dgesv) through numpy.linalg."""
import numpy as np


def make(params):
    n = params["n"]
    k = np.arange(n * n, dtype=np.int64)
    a = (((k * 7919 + 5) % 997) / 997.0 - 0.5).reshape(n, n)
    a += np.eye(n) * n  # diagonally dominant: well conditioned, so the check can be tight
    j = np.arange(n * params["rhs"], dtype=np.int64)
    b = (((j * 104729 + 1) % 991) / 991.0).reshape(n, params["rhs"])

    def step():
        return np.linalg.solve(a, b)

    x = step()
    residual = float(np.max(np.abs(a @ x - b)))
    if residual > 1e-10 * n:
        raise AssertionError("np_linalg_solve: residual %r, expected below %r" % (residual, 1e-10 * n))
    return step
