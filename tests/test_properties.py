"Property tests (hypothesis) on small random models."
import itertools
import numpy as np
import tensorflow as tf
from hypothesis import given, settings, HealthCheck, strategies as st

from bmprune.layers import Bernoulli, Multinomial
from bmprune.stack import Stack, energy, log_marginal
from bmprune.partition import exact_log_z

SETTINGS = dict(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_stack(sizes, seed, scale):
    s = Stack([Bernoulli(n) for n in sizes], init_std=scale, seed=seed)
    r = np.random.default_rng(seed)
    for b in s.b: b.assign(r.normal(0, scale, b.shape).astype(np.float32))
    return s


@settings(**SETTINGS)
@given(v=st.integers(2, 6), h=st.integers(1, 5), seed=st.integers(0, 10**6), scale=st.floats(0.1, 2.0))
def test_log_z_invariant_to_permuting_hidden_units(v, h, seed, scale):
    s = random_stack([v, h], seed, scale)
    perm = np.random.default_rng(seed).permutation(h)
    t = Stack(s.layers, weights=[s.W[0].numpy()[:, perm]], biases=[s.b[0].numpy(), s.b[1].numpy()[perm]])
    assert abs(exact_log_z(s) - exact_log_z(t)) < 1e-6


@settings(**SETTINGS)
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=st.integers(0, 10**6), scale=st.floats(0.1, 2.0))
def test_marginal_matches_energy_summed_over_hidden_states(sizes, seed, scale):
    "log p*(even layers) (odd layers summed analytically) equals log-sum-exp of -E over the odd layers' states."
    s = random_stack(sizes, seed, scale)
    W, b = s.params(tf.float64)
    r = np.random.default_rng(seed)
    n = len(sizes)
    even = [tf.constant(r.integers(0, 2, (3, sizes[k])), tf.float64) if k % 2 == 0 else None for k in range(n)]
    analytic = log_marginal(s.layers, W, b, even, 0).numpy()
    odd_ks = [k for k in range(n) if k % 2 == 1]
    terms = []
    for combo in itertools.product(*[s.layers[k].states() for k in odd_ks]):
        states = list(even)
        for k, x in zip(odd_ks, combo): states[k] = tf.constant(np.tile(x, (3, 1)), tf.float64)
        terms.append(-energy(s.layers, W, b, states).numpy())
    np.testing.assert_allclose(analytic, np.logaddexp.reduce(np.stack(terms), axis=0), atol=1e-9)


@settings(**SETTINGS)
@given(seed=st.integers(0, 10**6), group=st.sampled_from([2, 3]))
def test_softmax_layer_log_z_matches_brute_force(seed, group):
    s = Stack([Bernoulli(3), Multinomial(2 * group, group)], init_std=1.0, seed=seed)
    W, b = s.params(tf.float64)
    combos = list(itertools.product(s.layers[0].states(), s.layers[1].states()))
    states = [tf.constant(np.stack([c[k] for c in combos]), tf.float64) for k in range(2)]
    brute = float(tf.reduce_logsumexp(-energy(s.layers, W, b, states)))
    assert abs(exact_log_z(s) - brute) < 1e-6


# ---------------------------------------------------------------------------------------------------------------
# Independent NumPy references (float64) used by the properties below.

FAST = dict(SETTINGS, max_examples=30)            # pure NumPy / cheap properties
SLOW = dict(SETTINGS, max_examples=5)             # properties that train (a few steps of a reused model)


def np_states(layer):
    "Every state of a discrete layer, enumerated here (not by the library)."
    from bmprune.layers import Bernoulli, Multinomial
    if isinstance(layer, Multinomial):
        eye = np.eye(layer.group)
        return np.array([np.concatenate(c) for c in itertools.product(eye, repeat=layer.size // layer.group)])
    assert isinstance(layer, Bernoulli)
    return np.array(list(itertools.product([0., 1.], repeat=layer.size)))


def np_self_energy(layer, x, b):
    from bmprune.layers import Gaussian
    if isinstance(layer, Gaussian):
        s2 = np.asarray(layer.sigma) ** 2
        return (x * x / (2 * s2) - x * b / s2).sum(-1)
    return -(x * b).sum(-1)


def np_stat(layer, x):
    from bmprune.layers import Gaussian
    return x / np.asarray(layer.sigma) if isinstance(layer, Gaussian) else x


def np_energy(layers, W, b, states):
    "E(x_0..x_L) for rows of states (broadcasting over leading axes)."
    e = sum(np_self_energy(L, x, bk) for L, x, bk in zip(layers, states, b))
    for k, w in enumerate(W):
        e = e - np.einsum("...i,ij,...j->...", np_stat(layers[k], states[k]), w, np_stat(layers[k + 1], states[k + 1]))
    return e


def np_log_p_visible(model):
    "Exact log p(v) of every visible state of a small all-Bernoulli stack, by brute-force joint enumeration."
    W = [w.numpy().astype(np.float64) for w in model.W]
    b = [x.numpy().astype(np.float64) for x in model.b]
    tables = [np_states(L) for L in model.layers]
    grids = np.meshgrid(*[np.arange(len(t)) for t in tables], indexing="ij")
    states = [t[g.ravel()] for t, g in zip(tables, grids)]
    logp = -np_energy(model.layers, W, b, states).reshape([len(t) for t in tables])
    per_v = np.logaddexp.reduce(logp.reshape(len(tables[0]), -1), axis=1)
    return per_v - np.logaddexp.reduce(per_v), tables[0]


def random_masks(sizes, r, density, dead_frac):
    "0/1 masks with independent entries, plus some hidden units cut off from the layer below."
    ms = [(r.random((a, c)) < density).astype(np.float32) for a, c in zip(sizes[:-1], sizes[1:])]
    for m in ms:
        m[:, r.random(m.shape[1]) < dead_frac] = 0
    return ms


# ---------------------------------------------------------------------------------------------------------------
# Free energy

@settings(**SETTINGS)
@given(v=st.integers(1, 5), hidden=st.sampled_from([("bernoulli", 1), ("bernoulli", 4), ("multinomial", 2), ("multinomial", 3)]),
       n_groups=st.integers(1, 2), gaussian=st.booleans(), seed=st.integers(0, 10**6), scale=st.floats(0.1, 2.0))
def test_free_energy_matches_energy_summed_over_hidden_states(v, hidden, n_groups, gaussian, seed, scale):
    "RBM.free_energy(v) = -log sum_h exp(-E(v, h)), the sum enumerated over every hidden state (all layer types)."
    from bmprune.rbm import RBM
    kind, g = hidden
    r = np.random.default_rng(seed)
    h = g * n_groups if kind == "multinomial" else g + n_groups - 1
    vis = {"type": "gaussian", "sigma": r.uniform(0.5, 2.0, v).tolist()} if gaussian else "bernoulli"
    hid = {"type": "multinomial", "group": g} if kind == "multinomial" else "bernoulli"
    W, bv, bh = r.normal(0, scale, (v, h)), r.normal(0, scale, v), r.normal(0, scale, h)
    rbm = RBM(v, h, visible=vis, hidden=hid, weights=W, biases=[bv, bh], verbose=False)
    X = r.normal(0, 1.5, (5, v)) if gaussian else r.integers(0, 2, (5, v)).astype(float)
    F = rbm.free_energy(X)
    assert F.shape == (5,) and F.dtype == np.float32
    W, bv, bh = rbm.W[0].numpy().astype(np.float64), rbm.b[0].numpy().astype(np.float64), rbm.b[1].numpy().astype(np.float64)
    H = np_states(rbm.hidden)                                             # (n_states, h)
    E = np_energy(rbm.layers, [W], [bv, bh], [X[:, None, :], H[None, :, :]])   # (5, n_states)
    ref = -np.logaddexp.reduce(-E, axis=1)
    # float32 evaluation: a few ulps of the largest intermediate term
    tol = 1e-5 * (1 + np.abs(ref) + np.abs(X @ W).sum(1) + np.abs(np_self_energy(rbm.visible, X, bv)))
    assert np.all(np.abs(F - ref) <= tol), (F, ref)


# ---------------------------------------------------------------------------------------------------------------
# Masks never resurrect weights

_TRAINED = {}

def _reused(key, make):
    "One model per configuration, reused across examples: its compiled training step is traced only once."
    if key not in _TRAINED: _TRAINED[key] = make()
    return _TRAINED[key]


@settings(**SLOW)
@given(seed=st.integers(0, 10**6), density=st.floats(0.1, 0.9), persistent=st.booleans())
def test_rbm_training_keeps_masked_weights_at_zero(seed, density, persistent):
    "CD/PCD with momentum, L2 and a sparsity penalty: masked weights (and their velocities) stay exactly 0."
    from bmprune.rbm import RBM
    rbm = _reused(("rbm", persistent), lambda: RBM(7, 5, learning_rate=0.5, momentum=0.9, l2=0.05, sparsity_cost=0.5,
                                                   persistent=persistent, batch_size=6, epochs=2, verbose=False))
    r = np.random.default_rng(seed)
    mask = random_masks([7, 5], r, density, 0.2)[0]
    X = (r.random((24, 7)) < 0.5).astype(np.float32)
    rbm.W[0].assign(r.normal(0, 1, (7, 5)).astype(np.float32))
    for b in rbm.b: b.assign(tf.zeros_like(b))
    rbm.set_mask(0, mask); rbm.reset_training(); rbm.rng.reset_from_seed(seed)   # same state as a fresh model
    rbm.partial_fit(X, epochs=2)                        # continue with the mask (fit would start afresh)
    off = mask == 0
    assert np.all(rbm.W[0].numpy()[off] == 0) and np.all(rbm.updater.velocity[0].numpy()[off] == 0)
    np.testing.assert_array_equal(rbm.masks[0].numpy(), mask)
    assert np.all(np.isfinite(rbm.W[0].numpy())) and rbm.epoch_ == 2


@settings(**SLOW)
@given(seed=st.integers(0, 10**6), density=st.floats(0.1, 0.9))
def test_dbm_training_keeps_masked_weights_at_zero(seed, density):
    "PCD with momentum, L2, sparsity and max-norm on a DBM: masked weights (and velocities) stay exactly 0."
    from bmprune.dbm import DBM
    d = _reused("dbm", lambda: DBM([6, 4, 3], learning_rate=0.5, momentum=0.9, l2=0.05, sparsity_cost=0.5, max_norm=1.0,
                                   n_particles=5, batch_size=5, epochs=2, mf_iter=5, verbose=False))
    r = np.random.default_rng(seed)
    masks = random_masks([6, 4, 3], r, density, 0.2)
    X = (r.random((20, 6)) < 0.5).astype(np.float32)
    for k, m in enumerate(masks):
        d.W[k].assign(r.normal(0, 1, m.shape).astype(np.float32)); d.set_mask(k, m)
    for b in d.b: b.assign(tf.zeros_like(b))
    d.reset_training(particles=True); d.rng.reset_from_seed(seed)
    d.partial_fit(X, epochs=2)
    for k, m in enumerate(masks):
        assert np.all(d.W[k].numpy()[m == 0] == 0), f"W{k} resurrected"
        assert np.all(d.updater.velocity[k].numpy()[m == 0] == 0), f"velocity of W{k} non-zero on masked weights"
        np.testing.assert_array_equal(d.masks[k].numpy(), m)


@settings(**dict(FAST, max_examples=60))
@given(shapes=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=3),
       seed=st.integers(0, 10**6), fraction=st.floats(0.0, 0.99), density=st.floats(0.05, 1.0),
       scope=st.sampled_from(["per_matrix", "global"]), tie_break=st.sampled_from(["random", "index"]),
       legacy=st.booleans(), n_levels=st.integers(1, 5))
def test_next_masks_never_resurrects(shapes, seed, fraction, density, scope, tie_break, legacy, n_levels):
    "next_masks only turns 1s into 0s, removes floor(f * active) of the lowest scores, and never a higher one."
    from bmprune.core import PruningError
    from bmprune.prune import next_masks
    r = np.random.default_rng(seed)
    masks = [(r.random(s) < density).astype(np.float32) for s in shapes]
    scores = [r.integers(0, n_levels, s).astype(float) for s in shapes]          # few levels: many ties
    active = [int(m.sum()) for m in masks]
    groups = [[k] for k in range(len(masks))] if scope == "per_matrix" else [list(range(len(masks)))]
    if fraction > 0 and any(sum(active[k] for k in g) == 0 for g in groups):
        try: next_masks(scores, masks, fraction, scope, seed, tie_break, legacy)
        except PruningError: return
        raise AssertionError("pruning a group without active weights must raise PruningError")
    new = next_masks(scores, masks, fraction, scope, seed, tie_break, legacy)
    for m, n in zip(masks, new):
        assert n.shape == m.shape and set(np.unique(n)) <= {0., 1.}
        assert np.all(n <= m), "a pruned weight came back"
    for g in groups:
        n_act = sum(active[k] for k in g)
        removed = np.concatenate([s[(m == 1) & (n == 0)] for k in g for s, m, n in [(scores[k], masks[k], new[k])]])
        kept = np.concatenate([s[n == 1] for k in g for s, n in [(scores[k], new[k])]])
        if not legacy: assert len(removed) == int(np.floor(fraction * n_act + 1e-9))
        if len(removed) and len(kept): assert removed.max() <= kept.min()


# ---------------------------------------------------------------------------------------------------------------
# Unit removal preserves the model

@settings(**dict(SETTINGS, max_examples=25))
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=st.integers(0, 10**6), scale=st.floats(0.1, 2.0),
       density=st.floats(0.2, 1.0), dead_frac=st.floats(0.0, 0.5), rule=st.sampled_from(["isolated", "input", "reference"]))
def test_remove_dead_units_preserves_log_likelihood(sizes, seed, scale, density, dead_frac, rule):
    "Whenever the reduction is exact, log p(v) of every visible state is unchanged and log Z shifts by log_z_shift."
    from bmprune.core import PruningError
    from bmprune.dbm import DBM
    from bmprune.rbm import RBM
    from bmprune.prune import remove_dead_units
    r = np.random.default_rng(seed)
    W = [r.normal(0, scale, (a, c)) for a, c in zip(sizes[:-1], sizes[1:])]
    b = [r.normal(0, scale, n) for n in sizes]
    masks = random_masks(sizes, r, density, dead_frac)
    if len(sizes) == 2: model = RBM(*sizes, weights=W[0], biases=b, masks=masks[0], verbose=False)
    else: model = DBM(sizes, weights=W, biases=b, masks=masks, verbose=False)
    try: red = remove_dead_units(model, rule)
    except PruningError as e:
        assert "dead" in str(e); return                              # a whole hidden layer died: refused, clearly
    small = red.model
    assert type(small) is type(model) and small.sizes[0] == sizes[0]
    assert [len(k) for k in red.kept] == small.sizes
    if rule == "isolated" or len(sizes) == 2: assert red.exact      # no removed unit had an active connection
    if not red.exact: return
    lp_full, V = np_log_p_visible(model)
    lp_small, V2 = np_log_p_visible(small)
    np.testing.assert_array_equal(V, V2)
    np.testing.assert_allclose(lp_small, lp_full, rtol=0, atol=1e-4)      # float32 rounding of the folded biases
    np.testing.assert_allclose(exact_log_z(model) - exact_log_z(small), red.log_z_shift, atol=1e-4)
    for k, kept in enumerate(red.kept[:-1]):                          # surviving weights are copied, not changed
        np.testing.assert_array_equal(small.W[k].numpy(), model.W[k].numpy()[np.ix_(kept, red.kept[k + 1])])


# ---------------------------------------------------------------------------------------------------------------
# The FI variance estimate

@settings(**FAST)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=st.integers(0, 10**6), n=st.integers(2, 40),
       density=st.floats(0.0, 1.0), p_on=st.floats(0.0, 1.0), gaussian=st.booleans(), times_w2=st.booleans())
def test_fi_variance_nonnegative_and_zero_when_masked(sizes, seed, n, density, p_on, gaussian, times_w2):
    "fi_variance = Var(t(x_i) t(y_j)) (ddof 1) on active weights (times W^2 if asked), exactly 0 on masked ones, >= 0."
    from bmprune.fisher import fi_variance
    from bmprune.layers import Gaussian
    r = np.random.default_rng(seed)
    layers = [Gaussian(sizes[0], sigma=r.uniform(0.5, 2, sizes[0])) if gaussian else Bernoulli(sizes[0])] + \
             [Bernoulli(s) for s in sizes[1:]]
    masks = random_masks(sizes, r, density, 0.3)
    st_ = Stack(layers, masks=masks, init_std=1.0, seed=seed % 1000)
    samples = [(r.random((n, s)) < p_on).astype(np.float32) for s in sizes]      # constant columns when p_on is 0 or 1
    if gaussian: samples[0] = r.normal(0, 2, (n, sizes[0])).astype(np.float32)
    F = fi_variance(st_, samples=samples, times_w2=times_w2)
    assert len(F) == len(sizes) - 1
    for k, (f, m) in enumerate(zip(F, masks)):
        assert f.shape == m.shape and f.dtype == np.float64
        assert np.all(f >= 0), f"negative FI in matrix {k}"
        assert np.all(f[m == 0] == 0), f"masked weights of matrix {k} have non-zero FI"
        x = np_stat(layers[k], samples[k].astype(np.float64))
        y = samples[k + 1].astype(np.float64)
        ref = np.var(x[:, :, None] * y[:, None, :], axis=0, ddof=1) * m
        if times_w2: ref = ref * st_.W[k].numpy().astype(np.float64) ** 2
        np.testing.assert_allclose(f, ref, rtol=1e-9, atol=1e-12)


@settings(**dict(SETTINGS, max_examples=4))
@given(seed=st.integers(0, 10**6), density=st.floats(0.0, 1.0))
def test_fi_variance_from_model_samples(seed, density):
    "The same two properties when fi_variance draws its own Gibbs samples from a DBM."
    from bmprune.fisher import fi_variance
    masks = random_masks([5, 4, 3], np.random.default_rng(seed), density, 0.3)
    st_ = Stack([Bernoulli(5), Bernoulli(4), Bernoulli(3)], masks=masks, init_std=1.0, seed=seed % 1000)
    for f, m in zip(fi_variance(st_, n_samples=50, n_steps=5, seed=seed), masks):
        assert np.all(f >= 0) and np.all(f[m == 0] == 0)
