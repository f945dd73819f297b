"""The documentation site: its notebooks' saved outputs are up to date, `tools/build_docs.py` builds it offline, and
headless Chromium reads the home page, an API page and the explore tutorial from a local server."""
import functools, http.server, re, subprocess, sys, threading
from pathlib import Path

import pytest

from chromium import ARGS, CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parents[1]


def test_saved_outputs_match_the_notebooks_code():
    "The pages show saved outputs; a notebook edited after its outputs were made would document other code."
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'execute_nbs.py'), '--check'], cwd=ROOT, check=True)


@pytest.fixture(scope='module')
def build_log(tmp_path_factory):
    "Builds the site once for this module; returns (its folder, what the build printed)."
    out = tmp_path_factory.mktemp('site')
    done = subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout + done.stderr


@pytest.fixture(scope='module')
def site(build_log):
    require_chromium()
    out = build_log[0]
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{server.server_address[1]}'
    finally: server.shutdown()


@pytest.fixture(scope='module')
def page(site):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(viewport={'width': 1400, 'height': 1000})
        browser.close()


def _loaded_images(page, selector: str) -> int:
    return page.eval_on_selector_all(selector, 'imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length')


def test_home_page_has_the_results_table_figures_and_navigation(site, page):
    page.goto(f'{site}/index.html')
    assert 'saft-nb' in page.title()
    headers = page.locator('table th').all_inner_texts()
    assert {'method', 'seeds', 'clean seen', 'robust unseen', 'scene (seen)'} <= {h.strip() for h in headers}, headers
    for figure in ('tradeoff', 'heatmap'): assert _loaded_images(page, f'img[src*="{figure}"]') == 1, figure
    captions = page.locator('article p > em').all_inner_texts()
    assert sum(c.startswith('Figure ') for c in captions) == 2, captions
    wide = page.evaluate('''[...document.querySelectorAll('article .table-wrapper')].filter(w => w.scrollWidth > w.clientWidth + 2).length''')
    assert wide == 0, f'{wide} tables need horizontal scrolling'
    sidebar = page.locator('.sidebar-tree')
    for caption in ('Tutorials', 'Library'): assert sidebar.get_by_text(caption).count() >= 1
    for href in ('train.html', 'training.html', 'attacks.html', 'explore.html', 'results.html', 'leaderboard.html', 'zoo.html', 'calibration.html'):
        assert sidebar.locator(f'a[href="{href}"]').count() == 1, href


@pytest.mark.parametrize('name', ['calibration', 'evaluate', 'results', 'leaderboard', 'evaluation', 'suite'])
def test_no_page_scrolls_sideways_on_a_laptop_screen(site, page, name):
    "A wide table scrolls inside its own box; the page itself never does, at 1280 px."
    page.set_viewport_size({'width': 1280, 'height': 900})
    try:
        page.goto(f'{site}/{name}.html')
        width, visible = page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')
        assert width <= visible, f'{name}.html is {width} px wide in a {visible} px window'
    finally: page.set_viewport_size({'width': 1400, 'height': 1000})


def test_api_page_shows_signatures_and_examples(site, page):
    page.goto(f'{site}/attacks.html')
    text = page.locator('article').inner_text()
    text = ' '.join(text.split())
    assert 'pgd (objective:' in text and 'x:torch.Tensor, eps:float, steps:int, step_size:float' in text   # pgd's signature
    assert page.locator('#attackconfig').inner_text() == 'AttackConfig'   # the anchor nbdev's API links point to
    assert page.locator('div.cell_input').count() > 10                         # the runnable examples under each unit


def test_api_pages_have_parameter_tables_math_and_local_source_links(site, page):
    page.goto(f'{site}/training.html')
    rows = page.evaluate('''() => {   // the first table after TrainConfig's heading: its parameters
        const tables = [...document.querySelectorAll('article table')], heading = document.getElementById('trainconfig');
        const table = tables.find(t => heading.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
        return [...table.querySelectorAll('tr')].map(r => [...r.cells].map(c => c.innerText.trim()));
    }''')
    header, *fields = rows
    assert header == ["parameter", "type", "default", "details"], header
    eps = next(r for r in fields if r[0] == 'eps')
    assert eps[1] == 'float | None' and '1/255 units' in eps[3], eps   # its type and the comment written after the field
    page.goto(f'{site}/methods.html')
    assert page.locator('math').count() >= 10                                  # formulas as MathML, made offline
    assert page.evaluate("document.querySelector('math').getBoundingClientRect().width") > 5
    link = page.locator('a', has_text='source').first.get_attribute('href')
    assert link.startswith('_source/methods.py.html#L-'), link                 # not a placeholder repository
    page.goto(f'{site}/{link}')
    line = int(link.rsplit('-', 1)[1])
    assert page.locator(f'#L-{line + 1}').count() == 1 and 'class' in page.locator('pre').inner_text()


def test_the_build_log_is_clean(build_log):
    "The build prints no error or warning (nbformat's validation, nbdev's processing, Sphinx, myst-nb)."
    noisy = [l for l in build_log[1].splitlines() if re.search(r'error|warning', l, re.I)]
    assert not noisy, noisy[:5]


def test_printed_lines_of_a_cell_share_one_box(site, page):
    page.goto(f'{site}/evaluate.html')
    boxes = page.evaluate('''[...document.querySelectorAll('.cell_output')].map(o => o.querySelectorAll(':scope > .output.stream').length)''')
    assert boxes and max(boxes) == 1, boxes                  # not one box per print


def test_widgets_appear_as_their_static_figures(site, page):
    page.goto(f'{site}/explore.html')
    assert _loaded_images(page, 'article img') >= 3          # the three views, as the figures saved with them
    assert 'Error displaying widget' not in page.locator('article').inner_text()


def test_the_leaderboard_sorts_offline_and_the_zoo_page_lists_the_released_models(site, page):
    page.goto(f'{site}/leaderboard.html')
    page.locator('table.dataTable').first.wait_for(timeout=15_000)   # the table's script came with the page, not from a CDN
    header = page.locator('table.dataTable thead th').filter(has_text=re.compile(r'^\s*robust\s*$')).first
    first_model = lambda: page.locator('table.dataTable tbody tr').first.locator('td').first.inner_text()
    from playwright.sync_api import expect
    header.click(); expect(header).to_have_attribute('aria-sort', 'ascending'); ascending = first_model()
    header.click(); expect(header).to_have_attribute('aria-sort', 'descending'); descending = first_model()
    assert ascending != descending
    assert _loaded_images(page, 'article img') >= 1                   # robust versus clean accuracy
    page.goto(f'{site}/zoo.html')
    text = page.locator('article').inner_text()
    for shown in ('fare2-vitl14', 'hf-hub:chs20/fare2-clip', 'tecoa-paper-vitb32', 'vision-encoder-state-dict', 'MIT'):
        assert shown in text, shown


def test_carried_outputs_only_where_the_code_computes_the_same():
    "`execute_nbs.py --carry-outputs` keeps a notebook's outputs through moved imports and new None parameters only."
    sys.path.insert(0, str(ROOT / 'tools'))
    from execute_nbs import same_computation
    def nb(*cells):
        return {'cells': [{'cell_type': 'code', 'metadata': {'tags': ['parameters']} if i == 1 else {}, 'source': [c]}
                          for i, c in enumerate(cells)]}
    old = nb('from saft_nb.evaluate import summary', "n = 500  # images", 'print(summary(n))')
    assert same_computation(old, nb('from saft_nb.report import summary', "n: int = 500  # images\nplugins = None",
                                    'load_extensions(plugins)\nprint(summary(n))')) is None
    assert 'parameters' in same_computation(old, nb('from saft_nb.report import summary', 'n = 200', 'print(summary(n))'))
    assert 'other than None' in same_computation(old, nb('from saft_nb.report import summary', "n = 500\nk = 3", 'print(summary(n))'))
    assert 'computes something else' in same_computation(old, nb('from saft_nb.report import summary', 'n = 500', 'print(summary(n + 1))'))
    assert 'computes something else' in same_computation(old, nb('', 'n = 500', 'load_extensions(n)\nprint(summary(n))'))
