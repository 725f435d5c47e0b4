"""scikit-learn k-means: Lloyd iterations (Cython with BLAS) on well-separated clusters."""
import numpy as np
from sklearn.cluster import KMeans


def make(params):
    m, c, d = params["points"], params["clusters"], params["dims"]
    centres = (np.arange(c * d).reshape(c, d) % 7) * 10.0 + np.arange(c).reshape(c, 1) * 25.0
    k = np.arange(m * d, dtype=np.int64)
    noise = (((k * 7919 + 13) % 1013) / 1013.0 - 0.5).reshape(m, d)
    labels = np.arange(m) % c
    x = centres[labels] + noise
    start = x[:c] + 1.0  # one point of each cluster, moved: a fixed start, no random init

    def step():
        return KMeans(n_clusters=c, init=start, n_init=1, max_iter=params["max_iter"],
                      algorithm="lloyd").fit(x)

    model = step()
    found = np.sort(model.cluster_centers_, axis=0)
    if float(np.max(np.abs(found - np.sort(centres, axis=0)))) > 0.1:
        raise AssertionError("sklearn_kmeans: centres %r, expected %r" % (found.tolist(), centres.tolist()))
    return step
