"""bmprune's RBM and DBM as scikit-learn estimators, and probability data for Bernoulli units.

- scikit-learn's gallery example "Restricted Boltzmann Machine features for digit classification"
  (examples/neural_networks/plot_rbm_logistic_classification.py) with bmprune's RBM where BernoulliRBM stands;
- clone / get_params / set_params, Pipeline, GridSearchCV, cross_val_score;
- `parametrize_with_checks` on both classes;
- how `fit`, `warm_start` and `partial_fit` relate (fit starts afresh, the others continue);
- probability data in [0, 1] for training and features, and the clear refusals of what needs binary states.
"""
import numpy as np
import pytest
from scipy.ndimage import convolve
from sklearn import datasets
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import minmax_scale
from sklearn.utils.estimator_checks import parametrize_with_checks

from bmprune.core import DataError
from bmprune.rbm import RBM
from bmprune.dbm import DBM
from bmprune.partition import exact_log_likelihood, log_likelihood, elbo_log_pstar


# ---------------------------------------------------------------------------------------------------------------
# The gallery example, as scikit-learn has it: digits nudged by 1-pixel shifts, scaled to [0, 1], 80/20 split.

def _nudge_dataset(X, Y):
    "Five times the data: the images and their shifts by one pixel up, left, right and down."
    directions = [[[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
                  [[0, 0, 0], [0, 0, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]]]
    shift = lambda x, w: convolve(x.reshape((8, 8)), mode="constant", weights=w).ravel()
    X = np.concatenate([X] + [np.apply_along_axis(shift, 1, X, w) for w in directions])
    return X, np.concatenate([Y] * 5)


@pytest.fixture(scope="module")
def gallery_data():
    X, y = datasets.load_digits(return_X_y=True)
    X, Y = _nudge_dataset(np.asarray(X, "float32"), y)
    X = minmax_scale(X, feature_range=(0, 1))          # grey levels in [0, 1]: probabilities, not binary
    assert 0 < np.mean((X > 0) & (X < 1))              # the data really are fractional
    return train_test_split(X, Y, test_size=0.2, random_state=0)


def _logistic():
    """The example's C. Its solver (newton-cg, tol=1) stops at the start in scikit-learn 1.9 (chance accuracy for either
    RBM), so the classifier is lbfgs with a bounded number of iterations, the same for both pipelines."""
    return LogisticRegression(C=6000, max_iter=200)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gallery_example(gallery_data):
    "bmprune's RBM in the gallery pipeline reaches BernoulliRBM's test accuracy (within 0.02), same everything."
    X_train, X_test, Y_train, Y_test = gallery_data
    ours = Pipeline([("rbm", RBM(n_hidden=100, learning_rate=0.06, batch_size=10, epochs=10, seed=0, verbose=False)),
                     ("logistic", _logistic())])
    theirs = Pipeline([("rbm", BernoulliRBM(n_components=100, learning_rate=0.06, batch_size=10, n_iter=10, random_state=0)),
                       ("logistic", _logistic())])
    acc_ours = ours.fit(X_train, Y_train).score(X_test, Y_test)
    acc_theirs = theirs.fit(X_train, Y_train).score(X_test, Y_test)
    print(f"gallery example test accuracy: bmprune RBM {acc_ours:.4f}, BernoulliRBM {acc_theirs:.4f}")
    assert ours.named_steps["rbm"].n_features_in_ == 64
    assert acc_ours >= acc_theirs - 0.02, (acc_ours, acc_theirs)
    assert acc_ours > 0.85, acc_ours                   # far above chance (0.1): the features carry the digits


# ---------------------------------------------------------------------------------------------------------------
# The estimator protocol

@pytest.fixture(scope="module")
def digits01():
    X, y = datasets.load_digits(return_X_y=True)
    return (X[:300] / 16).astype(np.float32), y[:300]


def test_params_clone_set_params():
    lr = [0.1, 0.05]                                   # a per-epoch schedule: stored as given, the same object
    r = RBM(n_hidden=7, learning_rate=lr, epochs=2, seed=3, verbose=False)
    p = r.get_params()
    assert p["n_hidden"] == 7 and p["learning_rate"] is lr and p["seed"] == 3 and p["n_visible"] is None
    c = clone(r)
    assert c is not r and c.get_params()["learning_rate"] == lr      # clone deep-copies the arguments
    assert r.set_params(n_hidden=5, batch_size=4) is r and r.get_params()["n_hidden"] == 5
    d = DBM(["bernoulli", 6, 4], epochs=1, verbose=False)
    assert clone(d).get_params()["layers"] == ["bernoulli", 6, 4]
    with pytest.raises(ValueError): r.set_params(n_hiden=3)             # scikit-learn's check of parameter names


def test_fit_signature_and_n_features(digits01):
    X, y = digits01
    r = RBM(n_hidden=8, epochs=1, seed=0, verbose=False)
    assert r.fit(X, y) is r                            # labels go to `y`, never to `epochs`
    assert r.n_features_in_ == 64 and r.n_visible == 64 and r.epoch_ == 1
    r.fit(X, epochs=2); assert r.epoch_ == 2           # keyword-only epochs
    with pytest.raises(TypeError): r.fit(X, None, 3)
    assert r.transform(X).shape == (300, 8)
    with pytest.raises(ValueError, match="64"): r.transform(X[:, :10])
    s = r.score_samples(X)
    assert s.shape == (300,) and np.allclose(s, -r.free_energy(X), rtol=1e-5)     # BernoulliRBM's convention
    d = DBM(["bernoulli", 8, 4], epochs=1, batch_size=20, n_particles=20, verbose=False).fit(X, y)
    assert d.n_features_in_ == 64 and d.transform(X).shape == (300, 4)
    assert np.allclose(d.score_samples(X), elbo_log_pstar(d, X), rtol=1e-5)        # minus the variational free energy


def test_fit_starts_afresh_warm_start_and_partial_fit_continue(digits01):
    "scikit-learn's rule: `fit` starts afresh (same seed, same result); `warm_start=True` and `partial_fit` continue."
    X, _ = digits01
    r = RBM(n_hidden=8, epochs=2, seed=1, verbose=False)
    W1 = r.fit(X).W[0].numpy().copy()
    W2 = r.fit(X).W[0].numpy()
    np.testing.assert_array_equal(W1, W2); assert r.epoch_ == 2 and len(r.history_) == 2
    r.partial_fit(X); assert r.epoch_ == 3             # one more epoch
    r.partial_fit(X, epochs=2); assert r.epoch_ == 5
    w = RBM(n_hidden=8, epochs=2, seed=1, warm_start=True, verbose=False).fit(X)
    np.testing.assert_array_equal(w.W[0].numpy(), W1)
    w.fit(X); assert w.epoch_ == 4                     # continued
    cont = RBM(n_hidden=8, epochs=4, seed=1, verbose=False).fit(X)
    np.testing.assert_allclose(w.W[0].numpy(), cont.W[0].numpy(), atol=1e-6)   # 2 + 2 epochs = 4 epochs
    p = RBM(n_hidden=8, epochs=5, seed=1, verbose=False).partial_fit(X)        # partial_fit builds an unfitted model
    assert p.epoch_ == 1 and p.n_features_in_ == 64
    d = DBM(["bernoulli", 6, 4], epochs=1, batch_size=20, n_particles=20, seed=0, verbose=False)
    D1 = d.fit(X).W[1].numpy().copy(); np.testing.assert_array_equal(d.fit(X).W[1].numpy(), D1)
    d.partial_fit(X); assert d.epoch_ == 2


def test_pipeline_grid_search_cross_val(digits01):
    X, y = digits01
    pipe = Pipeline([("rbm", RBM(n_hidden=16, epochs=10, learning_rate=0.1, seed=0, verbose=False)),
                     ("clf", LogisticRegression(max_iter=300))])
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.3), scores          # far above chance (0.1)
    gs = GridSearchCV(pipe, {"rbm__n_hidden": [4, 12], "rbm__epochs": [2]}, cv=2).fit(X, y)
    assert gs.best_params_["rbm__n_hidden"] in (4, 12) and gs.best_estimator_.named_steps["rbm"].n_hidden == gs.best_params_["rbm__n_hidden"]
    dpipe = Pipeline([("dbm", DBM(["bernoulli", 8, 6], epochs=1, batch_size=20, n_particles=20, verbose=False)),
                      ("clf", LogisticRegression(max_iter=300))])
    assert cross_val_score(dpipe, X, y, cv=2).shape == (2,)


# ---------------------------------------------------------------------------------------------------------------
# scikit-learn's own estimator checks. They feed arbitrary real data (negative values, values above 1), which
# Bernoulli units refuse by design, so the checked instances have a Gaussian visible layer; everything else about the
# protocol (the class, its parameters, fit / transform / score_samples) is the same for every layer type.

_CHECKED = [RBM(n_hidden=3, visible="gaussian", epochs=2, batch_size=5, learning_rate=0.01, seed=0, verbose=False),
            DBM(["gaussian", 3, 2], epochs=2, batch_size=5, n_particles=5, learning_rate=0.01, seed=0, verbose=False)]


def _expected_failed_checks(estimator):
    "Checks that fail by a design decision of bmprune, with the reason (see the report of issue 13 for what is left)."
    return {
        "check_methods_sample_order_invariance": "float32 matrix products (and, for the DBM, mean-field sweeps): a row's "
                                                 "result may differ in the last bit with the order of the rows around it; "
                                                 "the check compares at rtol=1e-7, below float32 resolution",
        "check_dont_overwrite_parameters": "the model's parameters (W, b, masks, layers) are public attributes, created "
                                           "when the visible size is known, i.e. at the first fit",
        "check_do_not_raise_errors_in_init_or_set_params": "a model whose sizes are given is built and validated at "
                                                           "construction, so its weights exist before fit",
        "check_n_features_in_after_fitting": "a wrong number of columns raises bmprune's ShapeError ('X must have 4 "
                                             "columns ...'), not scikit-learn's exact wording",
        "check_fit2d_1sample": "training needs at least batch_size rows; fewer raise a ConfigError naming batch_size",
        "check_estimators_pickle": "the compiled tf.functions cached on a fitted model do not pickle; Stack.save / "
                                   "Stack.load is the persistence path (not done yet: drop the cache in __reduce__)",
    }


@parametrize_with_checks(_CHECKED, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------------------------------------------
# Probability data for Bernoulli units; binary states where only states have a meaning

def test_probability_data_train_and_transform(digits01):
    P, _ = digits01
    assert np.mean((P > 0) & (P < 1)) > 0.2
    r = RBM(n_hidden=10, epochs=3, learning_rate=0.05, seed=0, verbose=False).fit(P)
    H = r.transform(P)
    assert H.shape == (300, 10) and np.all((H > 0) & (H < 1))
    assert not np.allclose(H, r.transform((P > 0.5).astype(np.float32)))       # probabilities are not binarized
    R = r.reconstruct(P)
    assert np.all((R >= 0) & (R <= 1)) and np.all(np.isfinite(r.free_energy(P)))
    assert r.history_[-1]["reconstruction_error"] < r.history_[0]["reconstruction_error"]   # it learns
    pcd = RBM(n_hidden=10, epochs=2, persistent=True, seed=0, verbose=False).fit(P)
    assert np.all(np.isfinite(pcd.W[0].numpy()))
    d = DBM(["bernoulli", 10, 6], epochs=2, batch_size=20, n_particles=20, seed=0, verbose=False)
    d.pretrain(P, epochs=1)                            # greedy RBM pretraining on probabilities (no private subclass)
    assert d.n_features_in_ == 64
    d.partial_fit(P, epochs=2)                         # continue from the pretrained parameters
    assert d.epoch_ == 2 and d.transform(P).shape == (300, 6)
    assert np.all(np.isfinite(d.score_samples(P)))


@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan, np.inf])
def test_values_outside_unit_interval_stay_errors(digits01, bad):
    P = digits01[0].copy(); P[3, 5] = bad
    with pytest.raises(DataError, match=r"\[0, 1\]|non-finite"):
        RBM(n_hidden=4, epochs=1, verbose=False).fit(P)
    r = RBM(n_hidden=4, epochs=1, verbose=False).fit(digits01[0])
    with pytest.raises(DataError, match=r"\[0, 1\]|non-finite"):
        r.transform(P)


def test_binary_only_refusals(digits01):
    P, _ = digits01
    r = RBM(n_hidden=6, epochs=1, seed=0, verbose=False).fit(P)
    B = (P > 0.5).astype(np.float32)
    assert np.isfinite(exact_log_likelihood(r, B))
    with pytest.raises(DataError, match="exact_log_likelihood needs binary states"):
        exact_log_likelihood(r, P)
    with pytest.raises(DataError, match="log_likelihood needs binary states"):
        log_likelihood(r, P, method="ais", log_z=0.0)
