"""Train Boltzmann machines in TensorFlow 2 and prune them by Fisher information

Modules:

- `bmprune.layers`: Bernoulli, Multinomial (softmax groups) and Gaussian units: conditional mean, sampling, the log-partition term used in free energies, entropies, and enumeration of states.
- `bmprune.partition`: Exact log Z by enumeration for small stacks, AIS estimates for any stack, log-likelihoods and the variational lower bound.
- `bmprune.stack`: One representation for every Boltzmann machine here: layers joined by weight matrices, with biases and masks. Energy, conditionals, block Gibbs sweeps, mean field and marginals are written once, for any depth.
- `bmprune.training`: What RBM and DBM training share: per-epoch schedules, the momentum update that keeps masked weights at exactly zero, minibatches, and the epoch loop with progress bars, finite checks and TensorBoard."""

__version__ = "0.1.0"
