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
