"""The documentation site: its notebooks' saved outputs are up to date, `tools/build_docs.py` builds it offline, the
built pages are free of the rendering faults a machine can see, and headless Chromium reads them from a local server
with the network blocked."""
import functools, http.server, re, subprocess, sys, threading
from pathlib import Path

import pytest

from chromium import ARGS, CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))


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
def browser(site):
    "One Chromium for the module (Playwright's sync API runs one instance per thread)."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope='module')
def page(browser):
    return browser.new_page(viewport={'width': 1400, 'height': 1000})


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
    assert 'pgd (objective:Objective, x:torch.Tensor, eps:float, steps:int, step_size:float' in text   # pgd's signature
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


def test_printed_lines_of_a_cell_share_one_box(build_log):
    "A cell's prints show in one box, not one box per print, on every page."
    boxes = {name: [len(o.select(':scope > .output.stream')) for o in article.select('.cell_output')]
             for name, article in _soups(build_log[0]).items()}
    assert max(max(b, default=0) for b in boxes.values()) == 1, {n: max(b) for n, b in boxes.items() if b and max(b) > 1}


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


# --- Offline: no page asks for anything outside the site -------------------------------------------------------------

def _outside_requests(browser, url: str, site: str) -> list[str]:
    "The URLs outside `site` that the page at `url` asks for, each blocked (the browser is offline, as a reader may be)."
    context = browser.new_context()
    asked = []
    def route(r):
        if r.request.url.startswith(site): r.continue_()
        else: asked.append(r.request.url); r.abort()
    context.route('**/*', route)
    page = context.new_page()
    try:
        page.goto(url, wait_until='load')
        page.wait_for_load_state('networkidle')   # scripts that add scripts (require.js, a widget manager) have run
    finally: context.close()
    return asked


def test_no_page_requests_anything_outside_the_site(build_log, site, browser):
    out = build_log[0]
    (out / '_probe').mkdir(exist_ok=True)   # the check itself: a page that loads a script from a CDN is caught
    (out / '_probe' / 'cdn.html').write_text('<script src="https://cdn.jsdelivr.net/npm/x/x.js"></script><p>probe</p>')
    assert _outside_requests(browser, f'{site}/_probe/cdn.html', site) == ['https://cdn.jsdelivr.net/npm/x/x.js']
    pages = sorted(h.name for h in out.glob('*.html'))
    assert len(pages) > 20, pages
    outside = {name: asked for name in pages if (asked := _outside_requests(browser, f'{site}/{name}', site))}
    assert not outside, '\n'.join(f'{name} requests {", ".join(urls)}' for name, urls in outside.items())


# --- Rendering faults, read from the built HTML ----------------------------------------------------------------------

@functools.cache
def _soups(out: Path) -> dict:
    "Each page's <article> (the page without Furo's navigation), parsed."
    from bs4 import BeautifulSoup
    soups = {}
    for html in sorted(out.glob('*.html')):
        article = BeautifulSoup(html.read_text(encoding='utf-8'), 'html.parser').find('article')
        if article is not None and html.name not in ('genindex.html', 'search.html'): soups[html.name] = article
    return soups


def _faults(out: Path, find) -> list[str]:
    "'page: what' for each fault `find(article)` returns."
    return [f'{name}: {fault}' for name, article in _soups(out).items() for fault in find(article)]


def _tutorials() -> set[str]:
    "The home page and the tutorials: the pages a reader follows, where every output should read as the page intends."
    from build_docs import navigation   # a tutorial's page is named after its notebook (a module's, after the module)
    return {f'{Path(n).stem}.html' for section, names in navigation() if section in (None, 'Tutorials') for n in names}


def _machine_paths() -> re.Pattern:
    "Paths of the machine that executed a notebook or built the site: this checkout, a temporary folder, site-packages."
    import tempfile
    places = {f'{ROOT}/', f'{Path.home()}/', '/work/main/', tempfile.gettempdir().rstrip('/') + '/tmp'}
    return re.compile('|'.join(re.escape(p) for p in sorted(places, key=len, reverse=True)) + r'|/site-packages/')


FAULTS = {
    # a Markdown table MyST did not parse: its rows are left as text in a paragraph, a list item or a cell
    'raw Markdown table': lambda a: [repr(el.get_text()[:80]) for el in a.find_all(['p', 'li', 'td'])
                                     if re.search(r'^\s*\|.*\|\s*$', el.get_text(), re.M)],
    # a formula with a command MathML could not translate (`\big\|` shows "\|")
    'literal command in a formula': lambda a: [repr(m.get_text()[:80]) for m in a.find_all('math') if '\\' in m.get_text()],
    # a type defined in a notebook, named after nbdev's shell rather than its module
    '__main__ in a name': lambda a: [repr(m.group(0)) for m in re.finditer(r'__main__\.\w+', a.get_text())],
    # docments' kind of an unannotated *args/**options shown as its type
    'parameter kind as a type': lambda a: [repr(m.group(0)) for m in re.finditer(r'VAR_(?:KEYWORD|POSITIONAL)', a.get_text())],
    # a table with nothing in its cells, or nothing but the names in its first column (`*args`, `**kwargs`)
    'empty table': lambda a: [repr(t.get_text(' ', strip=True)[:80]) for t in a.find_all('table')
                              if not any(td.get_text(strip=True) for tr in t.find_all('tr')
                                         for td in tr.find_all('td')[1 if len(tr.find_all('td')) > 1 else 0:])],
    # the build machine's environment or folders, in an output, a signature or a parameter table (code a reader
    # wrote, such as '/home/me/my_methods.py' in an example, is not looked at)
    'path of the build machine': lambda a: [repr(el.get_text()[max(0, m.start() - 40):m.end() + 20])
                                            for el in a.select('div.cell_output, blockquote, table')
                                            for m in [_machine_paths().search(el.get_text())] if m],
}


@pytest.mark.parametrize('fault', FAULTS)
def test_pages_are_free_of_rendering_faults(build_log, fault):
    found = _faults(build_log[0], FAULTS[fault])
    assert not found, f'{len(found)} x {fault}:\n' + '\n'.join(found[:15])


def test_tutorial_outputs_show_tables_as_tables(build_log):
    "A tutorial that prints a Markdown table shows its pipes and dashes; it should display it (IPython's Markdown)."
    def printed_tables(article):
        return [repr(pre.get_text()[:80]) for pre in article.select('div.cell_output pre')
                if re.search(r'^\s*\|[\s:|-]*-{3}[\s:|-]*\|\s*$', pre.get_text(), re.M)]
    found = [f'{name}: {t}' for name, article in _soups(build_log[0]).items() if name in _tutorials()
             for t in printed_tables(article)]
    assert not found, '\n'.join(found)


def test_a_line_starting_with_percent_is_text_not_a_comment(build_log):
    "MyST reads a line that starts with `%` as a comment; Pandoc (and the notebook) show it."
    from build_docs import myst_text
    assert myst_text('accuracy in\n%, clean\n```\n%%time\n```\n$$\n% note\nx\n$$') == \
        'accuracy in\n\\%, clean\n```\n%%time\n```\n$$\n% note\nx\n$$'
    text = ' '.join(_soups(build_log[0])['calibration.html'].get_text().split())
    assert 'accuracy in %, column 0 = clean' in text


def test_signatures_and_parameter_tables_read_as_the_code(build_log):
    "Signatures made from the package: types as the code names them, defaults as written where a value would leak."
    text = lambda name: ' '.join(_soups(build_log[0])[name].get_text().split())
    assert 'apgd (objective:Objective, x:torch.Tensor' in text('attacks.html')
    assert 'launched_by_papermill (environ=os.environ' in text('core.html') and 'OLDPWD' not in text('core.html')
    assert 'get_method (name:str, **options)' in text('methods.html') and '**options' in text('methods.html')
    assert 'folder=WEIGHTS_DIR' in text('pretraining.html')
    from build_docs import parameter_table
    assert parameter_table('OptionParser') == ''            # *args, **kwargs handed on: nothing to tabulate
    assert '| `**options` |  |' in parameter_table('get_method')


def test_formulas_of_fare_and_tga_zsr_render_their_norms(site, page):
    page.goto(f'{site}/methods.html')
    formulas = [f for f in page.eval_on_selector_all('math', 'ms => ms.map(m => m.textContent)') if 'FARE' in f or 'TGA' in f]
    assert formulas and all('‖' in f and '\\' not in f for f in formulas), formulas


# --- Readable in the column ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['index', 'train', 'evaluate', 'results', 'explore', 'attacks', 'core', 'training'])
def test_code_and_logs_fit_the_column(site, page, name):
    "Code cells, commands and printed logs wrap in the text column: none scrolls sideways at 1280 px."
    page.set_viewport_size({'width': 1280, 'height': 900})
    try:
        page.goto(f'{site}/{name}.html')
        wide = page.evaluate('''[...document.querySelectorAll('article pre')].filter(p => p.scrollWidth > p.clientWidth + 2)
                                .map(p => p.innerText.split('\\n')[0].slice(0, 60))''')
        assert not wide, f'{len(wide)} blocks scroll sideways on {name}.html: {wide[:5]}'
    finally: page.set_viewport_size({'width': 1400, 'height': 1000})


def test_copy_button_copies_a_code_cell_offline(build_log, site, browser):
    assert (build_log[0] / '_static' / 'clipboard.min.js').is_file()                         # served with the site
    context = browser.new_context()
    context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=site)
    context.route('**/*', lambda r: r.continue_() if r.request.url.startswith(site) else r.abort())
    page = context.new_page()
    try:
        page.goto(f'{site}/attacks.html')
        cell = page.locator('div.cell_input div.highlight').nth(1)
        code = cell.locator('pre').inner_text()
        assert page.locator('div.cell_input button.copybtn').count() > 10                     # one on every code cell
        assert page.locator('div.output.stream button.copybtn, div.output.text_plain button.copybtn').count() == 0   # nor on logs
        cell.hover(); cell.locator('button.copybtn').click()
        copied = page.evaluate('navigator.clipboard.readText()')
    finally: context.close()
    assert copied.strip() == code.strip() and 'load_embedded()' in copied, copied


def test_each_page_header_says_what_it_is_and_names_its_notebook(build_log, site, page):
    out = build_log[0]
    missing = []
    for name, article in _soups(out).items():
        description, source = article.select_one('p.page-description'), article.select_one('p.page-source a')
        if not description or len(description.get_text(strip=True)) < 20: missing.append(f'{name}: no description')
        if not source or not re.fullmatch(r'nbs/[\w-]+\.ipynb', source.get('href', '')) or not (out / source['href']).is_file():
            missing.append(f'{name}: no source link to its notebook')
    assert not missing, missing
    assert _soups(out)['attacks.html'].select_one('p.page-source a')['href'] == 'nbs/04_attacks.ipynb'
    page.goto(f'{site}/index.html')   # the navigation says what each page is, on hover
    titles = page.eval_on_selector_all('.sidebar-tree a.reference.internal', 'links => links.map(a => a.title)')
    assert titles and all(len(t) > 20 for t in titles), titles
