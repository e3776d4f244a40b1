"""Train Boltzmann machines in TensorFlow 2 and prune them by Fisher information

Modules:

- `bmprune.app`: An ipywidgets app to prune a Boltzmann machine step by step — pick a criterion and a fraction, prune, retrain, undo — and watch its filters, masks, scores and samples change.
- `bmprune.bench`: `bmprune bench`: speed measured side by side with a peer library and with the machine's own matmul speed, in one process, so that the numbers are ratios that survive a noisy shared machine.
- `bmprune.cli`: `bmprune run | presets | report | bench | info`: the prune-and-retrain runs, the presets, reports of finished runs, the benchmarks, and which device TensorFlow computes on.
- `bmprune.config`: `ExperimentConfig`: everything that determines the results of a prune-and-retrain run, validated and round-tripped through JSON; the presets of the paper's experiments; `--set` overrides; seeds derived by name.
- `bmprune.curves`: The metrics of pruning runs drawn from their tidy table: against the session or against each other, one line per criterion, and over seeds as mean lines with bands.
- `bmprune.data`: Binary datasets with the paper's preprocessing: embedded scikit-learn digits, sample-image patches and 5,000 real MNIST digits that need no network, and MNIST / CIFAR-10 loaders that download once into a cache folder.
- `bmprune.datafiles`: The raw files behind the datasets: a cache folder, checked downloads that land atomically, and readers for the idx (MNIST), CSV (mnist-5k) and pickled CIFAR-10 batch formats.
- `bmprune.dbm`: `DBM`: a stack of any depth trained by persistent contrastive divergence (PCD) with a mean-field positive phase, greedy layer-wise pretraining from RBMs, max-norm, sparsity, sampling and checkpoints that resume bit for bit.
- `bmprune.evaluate`: How good is a (pruned) Boltzmann machine? Classification accuracy of its hidden features, quality and diversity of its samples, its active weights and units, and its log-likelihood.
- `bmprune.figures`: Saving figures atomically, PNG bytes for widgets and notebooks, and matrix rows as image tiles: what every figure of `bmprune.viz` and `bmprune.curves` is built on.
- `bmprune.fisher`: The Fisher information matrix (FIM) of any pair of adjacent layers of a stack is the covariance of its sufficient statistics under the model. Full FIM with its eigenvectors for small pairs, cheap diagonal estimates (sample variance and the paper's local heuristic) for every weight matrix of an RBM or DBM.
- `bmprune.hyperparams`: Settings that vary by epoch (schedules), by hidden layer (sparsity) or that switch a limit off (max-norm): validated once, at construction, with errors that name the argument; and settings turned back into JSON for configs.
- `bmprune.layers`: Bernoulli, Multinomial (softmax groups) and Gaussian units: conditional mean, sampling, the log-partition term used in free energies, entropies, and enumeration of states.
- `bmprune.partition`: Exact log Z by enumeration for small stacks, AIS estimates for any stack, log-likelihoods and the variational lower bound.
- `bmprune.projection`: How long will a whole prune-and-retrain protocol take here? Unit costs timed at the protocol's real sizes, multiplied by what the protocol runs. Also the timing helpers and reference workloads every benchmark of `bmprune bench` uses.
- `bmprune.prune`: Criteria that score every weight, the rule that turns scores into masks, removal of units that lost their connections (cascading through the layers of a DBM), receptive-field masks, and the iterative prune-and-retrain loop.
- `bmprune.rbm`: `RBM`: a two-layer stack trained by contrastive divergence (CD-k) or persistent CD, with schedules, momentum, L2, dropout, sparsity, masks, the DBM-pretraining modifications, TensorBoard summaries, and save/load that resumes training exactly.
- `bmprune.runner`: The prune-and-retrain protocol of one run: the data, the initial model, the pruning sessions (through `prune.prune_session`), the evaluation; the run directory with its checkpoints, tidy metrics.csv, timings and exact resume; the summary table and figures.
- `bmprune.seeds`: The tidy table of a sweep (every run of every seed), mean ± sd per criterion and session, the comparison figures with seeds as bands, `bmprune report` for sweep directories, and the wall-time projection of a grid.
- `bmprune.stack`: One representation for every Boltzmann machine here: layers joined by weight matrices, with biases and masks. Energy, conditionals, block Gibbs sweeps, mean field and marginals are written once, for any depth.
- `bmprune.sweep`: `bmprune sweep`: every criterion over several seeds, as a graph of resumable runs on Ray (one machine, a cluster, GPUs) or one after another in-process; the metrics of all runs in one tidy table, a mean ± sd summary, and the comparison figures with seeds as bands.
- `bmprune.training`: The one training engine of every Boltzmann machine: schedules, the masked momentum update, the (seed, epoch) shuffle, the compiled chunked epoch loop with L2, sparsity, max-norm and finite checks, progress, TensorBoard, history and the training state that resumes bit for bit.
- `bmprune.viz`: The pictures that make a pruned Boltzmann machine legible: filters and receptive fields, masks, Fisher information against weight size, FIM spectra, sample grids and rank-frequency plots; with the basics and the curves of runs re-exported, `bmprune.viz` is the one import for every figure."""

import os as _os
# Before any bmprune module imports TensorFlow (this file runs first): hide TensorFlow's C++ start-up INFO and
# WARNING lines (CPU features, oneDNN, absl pre-init notice); errors still show. A user's own setting wins.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# Model classes register themselves with `Stack.load` when their modules are imported. Importing them here lets
# `Stack.load` read any saved model of the package without the caller importing its module first.
from . import rbm, dbm  # noqa: E402, F401
