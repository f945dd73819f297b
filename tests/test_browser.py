"""explore.ipynb in a real browser: JupyterLab on 127.0.0.1, driven by Debian's Chromium through playwright-python.

One test runs every cell, moves the perturbation viewer's image slider and checks that its figure changed, and uses the
"next image the attack flips" and save buttons; another runs every cell and saves, and checks that the file is
byte for byte what it was (`saft_nb.viz.keep_saved_outputs`, the pre-save hook the notebook asks for). They need
`/usr/bin/chromium` (`apt-get install chromium`) and playwright; CI installs both and sets SAFT_NB_BROWSER_TEST=1,
which turns a missing browser into a failure instead of a skip.
"""
import json, os, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

from chromium import ARGS, CHROMIUM, require_chromium
from saft_nb.suite import HEADLINE_EPS

ROOT = Path(__file__).resolve().parents[1]
require_chromium()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


HOOK = '--ContentsManager.pre_save_hook=saft_nb.viz.keep_saved_outputs'   # as explore.ipynb says to start JupyterLab


@pytest.fixture
def lab(tmp_path, request):
    """JupyterLab serving a copy of explore.ipynb: without its saved outputs (a test that must see live figures only),
    or, parametrized with 'as in git', the file byte for byte."""
    source = ROOT / 'nbs' / 'explore.ipynb'
    if getattr(request, 'param', None) == 'as in git': (tmp_path / 'explore.ipynb').write_bytes(source.read_bytes())
    else:
        nb = json.loads(source.read_text())
        for cell in nb['cells']:
            if cell['cell_type'] == 'code': cell['outputs'] = []
        (tmp_path / 'explore.ipynb').write_text(json.dumps(nb))
    settings = tmp_path / 'settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True)
    (settings / 'notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false', 'checkForUpdates': False}))
    port, token = _free_port(), 'saft-nb-test'
    env = {**os.environ, 'IN_TEST': '1', 'JUPYTERLAB_SETTINGS_DIR': str(tmp_path / 'settings'), 'MPLBACKEND': 'Agg',
           'SAFT_NB_VIEW_CACHE': str(tmp_path / 'cache')}
    server = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', HOOK, '--ServerApp.ip=127.0.0.1',
                               f'--ServerApp.port={port}', f'--IdentityProvider.token={token}',
                               f'--ServerApp.root_dir={tmp_path}'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=1); break
            except OSError: time.sleep(0.5)
        else: raise RuntimeError('JupyterLab did not start')
        yield f'http://127.0.0.1:{port}/lab/tree/explore.ipynb?token={token}'
    finally:
        server.terminate(); server.wait(30)


def _run_all_cells(page, attempts: int = 3):
    """Run > Run All Cells once the kernel is idle, until a cell has started: the menu item does nothing while the
    kernel session is still connecting, so a click that started nothing is tried again."""
    for attempt in range(attempts):
        page.locator('.jp-Notebook').wait_for(timeout=60_000)
        page.get_by_text('| Idle').first.wait_for(timeout=120_000)       # the status bar: kernel connected and idle
        page.get_by_role('menuitem', name='Run', exact=True).click()
        page.get_by_role('menuitem', name='Run All Cells', exact=True).click()
        try:
            page.locator('.jp-InputPrompt', has_text='[*]').or_(page.locator('.jp-InputPrompt', has_text='[1]')).first.wait_for(timeout=20_000)
            return
        except Exception:
            page.keyboard.press('Escape')
    raise AssertionError(f'Run All Cells started no cell in {attempts} attempts')


def _first_figure(page) -> str:
    "The perturbation viewer's current figure (the first image in the notebook's outputs)."
    return page.locator('.jp-OutputArea-output img').first.get_attribute('src')


def test_explore_runs_in_jupyterlab_and_reacts_to_a_control(lab, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        page.goto(lab)
        _run_all_cells(page)
        page.locator('.widget-slider .noUi-handle').first.wait_for(timeout=180_000)
        page.locator('.jp-OutputArea-output img').first.wait_for(timeout=120_000)
        before = _first_figure(page)
        # while the view recomputes, its status says so and its buttons are disabled: watch the page for that moment
        page.evaluate('''() => { window.sawBusy = false; new MutationObserver(() => {
            if (document.body.innerText.includes('computing') && document.querySelector('button.jupyter-button:disabled'))
                window.sawBusy = true; }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true}); }''')
        handle = page.locator('.widget-slider .noUi-handle').first
        handle.focus(); handle.press('ArrowRight')                       # the image slider: image 0 -> 1
        page.wait_for_function('src => document.querySelector(".jp-OutputArea-output img").src !== src', arg=before,
                               timeout=60_000)
        assert _first_figure(page) != before
        assert page.evaluate('window.sawBusy'), 'no busy state was shown while the view recomputed'
        # no training run next to the notebook: the views say why they show one model, and how to train a second
        page.get_by_text('no finished training run under').first.wait_for(timeout=10_000)
        assert page.get_by_text('saft-nb run nbs/train.ipynb').count() >= 3
        # the next image the attack flips for model A: another image, so another figure
        shown = _first_figure(page)
        page.get_by_role('button', name='next image the attack flips').first.click()
        page.wait_for_function('src => document.querySelector(".jp-OutputArea-output img").src !== src', arg=shown,
                               timeout=120_000)
        page.get_by_role('button', name='save PNG + PDF').first.click()  # the figure, as PNG and PDF, named by its settings
        page.get_by_text('saved runs/views/perturbation_').first.wait_for(timeout=60_000)
        saved = sorted(p.name for p in (tmp_path / 'runs' / 'views').iterdir())
        assert [n.rsplit('.', 1)[1] for n in saved] == ['pdf', 'png'] and f'_eps={HEADLINE_EPS:g}_' in saved[0], saved   # the headline epsilon
        browser.close()


@pytest.mark.parametrize('lab', ['as in git'], indirect=True)
def test_running_and_saving_explore_leaves_the_file_as_git_has_it(lab, tmp_path):
    "Run every cell, let the views draw, save: the file keeps the docs' outputs and gets no widget state."
    from playwright.sync_api import sync_playwright
    path = tmp_path / 'explore.ipynb'
    before, written = path.read_bytes(), path.stat().st_mtime_ns
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        page.goto(lab)
        _run_all_cells(page)
        page.locator('.widget-slider .noUi-handle').nth(1).wait_for(timeout=180_000)   # two views drawn, the kernel still busy
        page.get_by_text('| Idle').first.wait_for(timeout=300_000)                     # every cell has run
        page.locator('.jp-Notebook').click()
        page.keyboard.press('Control+s')
        for _ in range(60):
            if path.stat().st_mtime_ns != written: break
            time.sleep(0.5)
        else: raise AssertionError('JupyterLab did not save the notebook')
        browser.close()
    after = path.read_bytes()
    assert b'widget-state' not in after
    assert after == before, f'saving changed explore.ipynb: {len(before)} bytes before, {len(after)} after'
