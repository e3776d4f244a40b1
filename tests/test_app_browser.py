"""End-to-end test of the pruning dashboard (bmprune.app) in a real browser.

Starts JupyterLab headless on 127.0.0.1 (free port, empty token, isolated config) in a temporary directory holding
a one-cell notebook that trains a tiny RBM on scikit-learn's digits and shows `PruningDashboard`; drives it with
Playwright and Debian's Chromium: open the notebook, run the cell (Shift+Enter), click "Prune", and check that the
status label's active-weight count went down. Skipped only when Chromium or Playwright is missing
(`.ci/browser-deps.sh` installs both).
"""
from __future__ import annotations
import contextlib, json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest

CHROMIUM = os.environ.get("BMPRUNE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "dashboard.ipynb"
CELL = """\
import numpy as np
from sklearn.datasets import load_digits
from bmprune.rbm import RBM
from bmprune.app import PruningDashboard
X = (load_digits().data[:200] > 7).astype(np.float32)
rbm = RBM(64, 12, epochs=1, batch_size=20, verbose=False, seed=0).fit(X)
dash = PruningDashboard(rbm, X, criteria=["magnitude", "fi_variance"], image_shape=(8, 8), fraction=0.5,
                        n_samples=100, n_steps=10)
dash"""
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WEIGHTS = re.compile(r"active weights (\d+)")
KERNEL_IDLE = """() => {
  const ind = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  if (ind && ind.dataset && ind.dataset.status) return ind.dataset.status === 'idle';
  const bar = document.querySelector('#jp-main-statusbar');
  return !!bar && /\\| Idle/.test(bar.textContent);
}"""
CELL_STARTED = """() => {
  const p = document.querySelector('.jp-NotebookPanel .jp-Cell .jp-InputPrompt');
  return !!p && /\\[(\\*|\\d+)\\]/.test(p.textContent);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: Path):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "dashboard", "metadata": {}, "outputs": [],
                     "source": CELL}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def _wait_for_server(url: str, proc, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None: raise RuntimeError(f"JupyterLab exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


def _api(base: str, path: str, body: dict | None = None, timeout: float = 10) -> dict:
    req = urllib.request.Request(f"{base}{path}", method="GET" if body is None else "POST",
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def _start_kernel_session(base: str) -> str:
    """Create the notebook's session (python3 kernel) before the page opens it, so JupyterLab attaches to a running
    kernel instead of racing its own start (under load that race can end in a 'Select Kernel' dialog). The server
    reports the kernel as 'starting' until a client connects, so readiness is checked in the page."""
    sess = _api(base, "/api/sessions", {"path": NOTEBOOK, "name": NOTEBOOK, "type": "notebook", "kernel": {"name": "python3"}})
    return sess["kernel"]["id"]


def _accept_dialogs(page):
    "Accept any modal dialog (e.g. 'Select Kernel' if JupyterLab raced the session) so that it cannot block clicks."
    for button in page.locator(".jp-Dialog .jp-mod-accept").all():
        with contextlib.suppress(Exception): button.click(timeout=2_000)


def _stop(proc):
    "Stop the server we started (and, if needed, its process group: the kernels it spawned)."
    if proc is None or proc.poll() is not None: return
    proc.terminate()
    try: proc.wait(timeout=10)
    except subprocess.TimeoutExpired: pass
    try: os.killpg(proc.pid, signal.SIGKILL)     # the group created for this server by start_new_session
    except (ProcessLookupError, PermissionError): pass
    try: proc.wait(timeout=5)
    except subprocess.TimeoutExpired: pass


def _status_text(page) -> str:
    return page.locator(".bmprune-status").first.inner_text(timeout=5_000)


@pytest.mark.timeout(300)
def test_dashboard_prune_button_in_jupyterlab():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; run .ci/browser-deps.sh (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright, TimeoutError as PlaywrightTimeout
    except ImportError:
        pytest.skip("the playwright Python package is not installed; run .ci/browser-deps.sh or pip install -e '.[dev]'")

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bmprune-browser-") as tmp:
        tmp = Path(tmp)
        work, cfg = tmp / "work", tmp / "jupyter-config"
        work.mkdir(); (cfg / "labconfig").mkdir(parents=True)
        # no "news" prompt; user settings and workspaces go to this temporary config dir
        (cfg / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        _write_notebook(work / NOTEBOOK)
        port = _free_port()
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(cfg), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
               "IPYTHONDIR": str(tmp / "ipython"), "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg",
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        log = open(tmp / "jupyterlab.log", "w")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={work}", "--ServerApp.terminals_enabled=False",
               "--ServerApp.disable_check_xsrf=True"]      # lets the test create the kernel session by REST
        proc, screenshot = None, os.environ.get("BMPRUNE_SCREENSHOT", str(tmp / "dashboard.png"))
        console = []
        try:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            base = f"http://127.0.0.1:{port}"
            _wait_for_server(f"{base}/api/status", proc, timeout=60)
            _start_kernel_session(base)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=30_000)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1100})
                    page.set_default_timeout(30_000)
                    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
                    page.goto(f"{base}/lab/tree/{NOTEBOOK}", wait_until="domcontentloaded", timeout=30_000)
                    editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
                    editor.wait_for(state="visible", timeout=60_000)
                    # run only once the kernel is connected and idle (earlier, Shift+Enter may be dropped)
                    for attempt in range(3):
                        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
                        _accept_dialogs(page)
                        editor.click()
                        page.keyboard.press("Shift+Enter")
                        try:
                            page.wait_for_function(CELL_STARTED, timeout=10_000); break
                        except PlaywrightTimeout:
                            if attempt == 2: raise
                    # the dashboard appears with its first drawing done (status text holds the weight count)
                    page.wait_for_function(
                        "() => { const e = document.querySelector('.bmprune-status');"
                        " return e && /^step 0 \\| active weights \\d+/.test(e.textContent); }", timeout=90_000)
                    before = int(WEIGHTS.search(_status_text(page)).group(1))
                    page.locator("button.jupyter-button", has_text="Prune").first.click(timeout=10_000)
                    page.wait_for_function(
                        "() => { const e = document.querySelector('.bmprune-status');"
                        " return e && (/^step 1 \\|/.test(e.textContent) || /error:/.test(e.textContent)); }",
                        timeout=60_000)
                    text = _status_text(page)
                    assert "error:" not in text, f"the Prune button failed: {text}"
                    after = int(WEIGHTS.search(text).group(1))
                    assert after < before, f"active weights did not decrease: {before} -> {after} ({text})"
                    assert after == before - before // 2, f"fraction 0.5 of {before} should leave {before - before // 2}, got {after}"
                    # the panels were redrawn: image widgets hold PNG data
                    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea img').length >= 6", timeout=15_000)
                    page.screenshot(path=screenshot, full_page=True)
                except Exception:
                    with contextlib.suppress(Exception): page.screenshot(path=screenshot, full_page=True)
                    raise
                finally:
                    browser.close()
        except Exception as e:
            log.flush()
            tail = (tmp / "jupyterlab.log").read_text()[-3000:]
            raise AssertionError(f"{e}\n--- browser console errors:\n" + "\n".join(console[-20:]) +
                                 f"\n--- JupyterLab log (tail):\n{tail}\n--- screenshot: {screenshot}") from e
        finally:
            _stop(proc)
            log.close()
    print(f"browser test took {time.monotonic() - t0:.1f} s")
