"""numpy matrix multiply: the BLAS dgemm kernel under numpy's matmul, on deterministic inputs."""
import numpy as np


def _matrix(n, mult, offset):
    # A fixed formula instead of a random generator: the same inputs on every numpy version.
    k = np.arange(n * n, dtype=np.int64)
    return (((k * mult + offset) % 1009) / 1009.0 - 0.5).reshape(n, n)


def make(params):
    n = params["n"]
    a = _matrix(n, 7919, 3)
    b = _matrix(n, 104729, 11)

    def step():
        return a @ b

    c = step()
    for i, j in ((0, 0), (n - 1, 0), (n // 2, n // 3), (n - 1, n - 1)):
        expected = sum(float(a[i, k]) * float(b[k, j]) for k in range(n))
        if abs(float(c[i, j]) - expected) > 1e-9 * n:
            raise AssertionError("np_matmul: c[%d, %d] is %r, expected %r" % (i, j, float(c[i, j]), expected))
    return step
