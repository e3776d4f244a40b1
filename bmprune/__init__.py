"""Train Boltzmann machines in TensorFlow 2 and prune them by Fisher information

Modules:

- `bmprune.app`: An ipywidgets app to prune a Boltzmann machine step by step — pick a criterion and a fraction, prune, retrain, undo — and watch its filters, masks, scores and samples change.
- `bmprune.bench`: `bmprune bench`: speed measured side by side with a peer library and with the machine's own matmul speed, in one process, so that the numbers are ratios that survive a noisy shared machine.
- `bmprune.data`: Binary datasets with the paper's preprocessing: embedded scikit-learn digits and sample-image patches that need no network, and MNIST / CIFAR-10 loaders that download once into a cache folder.
- `bmprune.dbm`: `DBM`: a stack of any depth trained by persistent contrastive divergence (PCD) with a mean-field positive phase, greedy layer-wise pretraining from RBMs, max-norm, sparsity, sampling and checkpoints that resume bit for bit.
- `bmprune.evaluate`: How good is a (pruned) Boltzmann machine? Classification accuracy of its hidden features, quality and diversity of its samples, its active weights and units, and its log-likelihood.
- `bmprune.experiment`: Configurations and presets, the iterative prune-and-retrain protocol with checkpoints and exact resume, and the `bmprune` command line.
- `bmprune.fisher`: The Fisher information matrix (FIM) of any pair of adjacent layers of a stack is the covariance of its sufficient statistics under the model. Full FIM with its eigenvectors for small pairs, cheap diagonal estimates (sample variance and the paper's local heuristic) for every weight matrix of an RBM or DBM.
- `bmprune.layers`: Bernoulli, Multinomial (softmax groups) and Gaussian units: conditional mean, sampling, the log-partition term used in free energies, entropies, and enumeration of states.
- `bmprune.partition`: Exact log Z by enumeration for small stacks, AIS estimates for any stack, log-likelihoods and the variational lower bound.
- `bmprune.prune`: Criteria that score every weight, the rule that turns scores into masks, removal of units that lost their connections (cascading through the layers of a DBM), receptive-field masks, and the iterative prune-and-retrain loop.
- `bmprune.rbm`: `RBM`: a two-layer stack trained by contrastive divergence (CD-k) or persistent CD, with schedules, momentum, L2, dropout, sparsity, masks, the DBM-pretraining modifications, TensorBoard summaries, and save/load that resumes training exactly.
- `bmprune.stack`: One representation for every Boltzmann machine here: layers joined by weight matrices, with biases and masks. Energy, conditionals, block Gibbs sweeps, mean field and marginals are written once, for any depth.
- `bmprune.training`: What RBM and DBM training share: per-epoch schedules, the momentum update that keeps masked weights at exactly zero, minibatches, and the epoch loop with progress bars, finite checks and TensorBoard.
- `bmprune.viz`: The pictures that make a pruned Boltzmann machine legible: filters and receptive fields, masks, Fisher information against weight size, FIM spectra, pruning curves, sample grids and rank-frequency plots."""

__version__ = "0.1.0"
