"""scikit-learn random forest: tree building (Cython) with bootstrap samples, one job."""
import numpy as np
from sklearn.ensemble import RandomForestClassifier


def make(params):
    m, f = params["samples"], params["features"]
    k = np.arange(m * f, dtype=np.int64)
    x = (((k * 7919 + 17) % 1021) / 1021.0).reshape(m, f)
    # The class is a non-linear function of three features: a forest fits it, a line does not.
    y = ((x[:, 0] + x[:, 1] * x[:, 2] > 0.75) ^ (x[:, 3] > 0.5)).astype(np.int64)

    def step():
        return RandomForestClassifier(n_estimators=params["trees"], max_depth=params["max_depth"],
                                      random_state=params["seed"], n_jobs=1).fit(x, y)

    model = step()
    accuracy = float((model.predict(x) == y).mean())
    if accuracy < 0.9:
        raise AssertionError("sklearn_random_forest: training accuracy %r, expected >= 0.9" % accuracy)
    return step
