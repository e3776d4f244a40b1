"The embedded `mnist-5k` dataset: offline, deterministic, 4,000 / 1,000 binary 20x20 digits with 400 / 100 per class."
import subprocess, sys, textwrap
import numpy as np

from bmprune.data import get_dataset, list_datasets, read_digits_csv, mnist5k_path, class_split, preprocess_mnist


def test_mnist5k_shapes_and_classes():
    d = get_dataset("mnist-5k")
    assert "mnist-5k" in list_datasets()
    assert d.X_train.shape == (4000, 400) and d.X_test.shape == (1000, 400) and d.image_shape == (20, 20)
    for X in (d.X_train, d.X_test):
        assert X.dtype == np.float32 and set(np.unique(X)) == {0.0, 1.0}
    assert np.bincount(d.y_train).tolist() == [400] * 10 and np.bincount(d.y_test).tolist() == [100] * 10
    assert 0.1 < d.X_train.mean() < 0.5                      # binarised at the mean of cropped digits, not all on/off


def test_mnist5k_split_is_the_files_per_class_split():
    "Train = the first 400 digits of each class in file order, test = the last 100; deterministic across calls."
    images, labels = read_digits_csv(mnist5k_path())
    assert images.shape == (5000, 28, 28) and np.all(np.diff(labels) >= 0)   # the file is sorted by label
    itr, ite = class_split(labels, 400)
    for c in range(10):
        rows = np.flatnonzero(labels == c)
        assert sorted(itr[labels[itr] == c]) == rows[:400].tolist()
        assert sorted(ite[labels[ite] == c]) == rows[400:].tolist()
    d = get_dataset("mnist-5k")
    np.testing.assert_array_equal(d.X_test, preprocess_mnist(images[ite], labels[ite])[0])
    np.testing.assert_array_equal(d.X_train, get_dataset("mnist-5k").X_train)


def test_mnist5k_needs_no_network():
    "In a fresh interpreter where every socket connection fails, the dataset still loads."
    code = textwrap.dedent("""
        import socket
        def offline(*a, **k): raise OSError("network disabled in this test")
        socket.socket.connect = offline; socket.create_connection = offline; socket.getaddrinfo = offline
        from bmprune.data import get_dataset
        d = get_dataset("mnist-5k")
        print(d.X_train.shape, d.X_test.shape)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "(4000, 400) (1000, 400)" in r.stdout
