"""Build the documentation site into `_docs/` offline, from the same processed notebooks that `nbdev_docs` renders.

    python tools/build_docs.py            # then open _docs/index.html, or: python -m http.server -d _docs

Where Quarto is installed, `nbdev_docs` builds the site the standard nbdev way (and publishes it to GitHub Pages).
Quarto cannot be installed everywhere (not here), so this command renders the same pages with Sphinx and myst-nb:

1. nbdev processes the notebooks into `_proc/` (show_doc cells for every exported name, hidden cells dropped,
   links to the API added): what Quarto would render. No notebook is executed: the pages show the outputs saved in
   `nbs/` (`tools/execute_nbs.py` makes them and checks that they are up to date).
2. Each processed notebook becomes a Sphinx source notebook in `build/docs_src/`: the front matter becomes the
   page's title and summary, Quarto cell options (`#| echo: false`, `#| output: false`, `#| include: false`) become
   myst-nb tags, Quarto's `{{< include >}}` is expanded, and widget outputs are dropped so that a view shows the
   static figure saved with it (a progress bar's frozen first frame is dropped). Each show_doc gets a table of its
   parameters (type, default, the comment after each), read from the package. Page names and the navigation come
   from nbdev: the `output-file` of each page and `nbs/sidebar.yml`.
3. Sphinx renders them into `_docs/` with the Furo theme, formulas as MathML made at build time (no script from a
   CDN); links into the published site become relative links, and show_doc's source links open the package's
   modules as highlighted pages in `_docs/_source/`.
"""
import functools, inspect, json, re, shutil, sys
from pathlib import Path

import yaml

from make_readme import expand_includes   # tools/ is on the path when this script runs

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / 'build' / 'docs_src'
WIDGET_MIMES = ('application/vnd.jupyter.widget-view+json', 'application/vnd.jupyter.widget-state+json')
CELL_KEYS = ('cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments')
CELL_OPTIONS = {'echo: false': 'remove-input', 'output: false': 'remove-output', 'include: false': 'remove-cell'}


def process_notebooks():
    "nbdev's processing into `_proc/`, without the Quarto install that `nbdev_proc_nbs` attempts first."
    import nbdev.doclinks
    from nbdev.serve import proc_nbs
    nbdev.doclinks._build_modidx()
    return proc_nbs(force=True)


def navigation(sidebar: Path = ROOT / 'nbs' / 'sidebar.yml') -> list:
    "[(section or None, [notebook names])] in the order of nbdev's sidebar."
    sections, loose = [], []
    for item in yaml.safe_load(sidebar.read_text())['website']['sidebar']['contents']:
        if isinstance(item, str): loose.append(item)
        else: sections.append((item['section'], item['contents']))
    return [(None, loose)] + sections


def _front_matter(cell: dict) -> dict:
    text = ''.join(cell['source']).strip()
    if cell['cell_type'] != 'raw' or not text.startswith('---'): return {}
    return yaml.safe_load(text.strip('-\n')) or {}


@functools.cache
def exported_names() -> dict:
    "Every name the package exports, to its object: show_doc's subjects, as the package defines them."
    import importlib, pkgutil, saft_nb
    names = {}
    for info in pkgutil.iter_modules(saft_nb.__path__):
        module = importlib.import_module(f'saft_nb.{info.name}')
        names.update({name: getattr(module, name) for name in getattr(module, '__all__', []) if hasattr(module, name)})
    return names


def _type_name(anno) -> str:
    if anno is inspect.Parameter.empty or anno is type(None): return ''   # none given (docments infers NoneType from a None default)
    if isinstance(anno, type) and not getattr(anno, '__args__', None): return anno.__name__
    return re.sub(r'\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])', '', str(anno))   # typing.Optional[saft_nb.x.Y] -> Optional[Y]


def parameter_table(subject: str) -> str:
    """A Markdown table of the parameters of the exported `subject` ('train', 'TrainConfig', 'Method.loss'): type,
    default and the comment written after each (fastcore's docments; a dataclass's fields). nbdev's show_doc makes
    this table only where it can read the source, which it cannot for the classes it runs in its own shell."""
    from fastcore.docments import docments
    head, *rest = subject.split('.')
    obj = exported_names().get(head)
    for attr in rest: obj = getattr(obj, attr, None)
    if not callable(obj): return ''
    try: params = docments(obj, full=True)
    except (TypeError, ValueError, OSError): return ''
    rows = [(name, p) for name, p in params.items() if name not in ('self', 'cls', 'return')]
    if not rows: return ''
    cell = lambda text: str(text).replace('|', '\\|').replace('\n', ' ')
    lines = ['| parameter | type | default | details |', '|---|---|---|---|']
    for name, p in rows:
        default = '' if p['default'] is inspect.Parameter.empty else f"`{p['default']!r}`"
        details = p['docment'] if isinstance(p['docment'], str) else ''
        lines.append(f"| `{name}` | {cell(_type_name(p['anno']))} | {cell(default)} | {cell(details)} |")
    returned = params.get('return', {})
    if _type_name(returned.get('anno', inspect.Parameter.empty)) and not inspect.isclass(obj):
        details = returned['docment'] if isinstance(returned.get('docment'), str) else ''
        lines.append(f"| *returns* | {cell(_type_name(returned['anno']))} |  | {cell(details)} |")
    return '\n'.join(lines)


def _code_cell(cell: dict) -> dict:
    lines = ''.join(cell['source']).splitlines()
    options = [l[2:].strip() for l in lines if l.startswith('#|')]
    tags = set(cell.get('metadata', {}).get('tags', []))
    tags |= {tag for option, tag in CELL_OPTIONS.items() if option in options}
    cell['source'] = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
    cell['metadata'] = {'tags': sorted(tags)} if tags else {}
    # a progress bar's widget leaves only its first frame as text ('0%| 0/157'): a frozen bar says nothing
    cell['outputs'] = [out for out in cell.get('outputs', [])
                       if not (WIDGET_MIMES[0] in out.get('data', {}) and set(out['data']) <= {WIDGET_MIMES[0], 'text/plain'}
                               and re.search(r'\d+%\|', ''.join(out['data'].get('text/plain', ''))))]
    for out in cell['outputs']:
        data = out.get('data', {})
        for mime in WIDGET_MIMES: data.pop(mime, None)
        if 'text/markdown' in data:   # show_doc's source links carry Pandoc attributes, which MyST would print
            text = ''.join(data['text/markdown'])
            text = re.sub(r'\)\{target="_blank"[^}]*\}', ')', text)
            text = re.sub(r'^\s*---\n', '', text)   # a rule can't sit inside an output
            subject = re.fullmatch(r'show_doc\(([\w.]+)\)', cell['source'].strip())
            table = parameter_table(subject.group(1)) if subject else ''
            if table:   # nbdev's own table, where it could read the source, gives way to the one made from the package
                text = re.sub(r'\n\|\s*\|\s*\*\*Type\*\*.*?(?=\n\s*\n|\Z)', '', text, flags=re.S).rstrip()
            data['text/markdown'] = f'{text}\n\n{table}' if table else text
    return cell


def convert(nb: dict, base: Path) -> tuple[str, dict]:
    "A processed notebook -> (page name, a notebook that Sphinx + myst-nb render like Quarto would)."
    fm = _front_matter(nb['cells'][0]) if nb['cells'] else {}
    cells = nb['cells'][1:] if fm else nb['cells']
    page = Path(fm.get('output-file', 'index.html')).stem
    out = []
    if fm.get('title'):
        summary = f"\n\n*{fm['description']}*" if fm.get('description') else ''
        out.append({'cell_type': 'markdown', 'metadata': {}, 'source': f"# {fm['title']}{summary}"})
    for cell in cells:
        if cell['cell_type'] == 'raw': continue
        cell = {k: v for k, v in cell.items() if k in CELL_KEYS}   # nbdev's own marks (has_sd) are not nbformat's
        if cell['cell_type'] == 'code': cell = _code_cell(cell)
        else:
            # as in README.md: links into ../ point at the site's root, where figures/ is copied
            cell = {**cell, 'source': expand_includes(''.join(cell['source']), base)}
        out.append(cell)
    return page, {**nb, 'cells': out}


def toctrees(pages: dict, nav: list) -> list:
    "Markdown cells with the hidden toctrees that give Furo its sidebar (the home page is the root)."
    cells = []
    for section, names in nav:
        entries = [pages[n] for n in names if n in pages and pages[n] != 'index']
        if not entries: continue
        caption = f':caption: {section}\n' if section else ''
        cells.append({'cell_type': 'markdown', 'metadata': {},
                      'source': f'```{{toctree}}\n:hidden:\n{caption}\n' + '\n'.join(entries) + '\n```'})
    return cells


def sphinx_conf(cfg) -> str:
    return f'''# generated by tools/build_docs.py
project = {cfg.title!r}
author = {cfg.author!r}
copyright = {cfg.copyright!r}
html_title = {cfg.title!r}
import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
extensions = ['myst_nb', 'sphinx_mathml']
html_math_renderer = 'mathml'            # formulas as MathML, made here: no MathJax from a CDN
nb_execution_mode = 'off'                 # pages show the outputs saved in nbs/
nb_merge_streams = True                   # a cell's printed lines in one box, not one box per print
nb_render_markdown_format = 'myst'        # Markdown outputs (show_doc's) get tables and math, not bare CommonMark
myst_enable_extensions = ['dollarmath', 'colon_fence']
myst_dmath_allow_space = False            # '$HF_HOME/hub ($HF_HUB_CACHE' is text: math hugs its dollars
smartquotes = False                       # 'openai' stays as typed, a value a reader may copy
html_theme = 'furo'
html_static_path = [{str(Path(__file__).resolve().parent / 'docs_static')!r}]
html_css_files = ['saft-nb.css']          # wide tables that fit, figure captions
exclude_patterns = ['_build']
suppress_warnings = ['myst.header', 'misc.highlighting_failure']
'''


def source_pages(lib: Path, folder: Path) -> None:
    """The package's modules as highlighted pages, `_source/train.py.html#L-38` for line 38: show_doc's source links
    point here, so they open the code this site was built from, offline (the published site links to `git_url`)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    formatter = HtmlFormatter(linenos='inline', lineanchors='L', anchorlinenos=True, full=True, style='default')
    for path in sorted(lib.rglob('*.py')):
        page = folder / f'{path.relative_to(lib).as_posix()}.html'
        page.parent.mkdir(parents=True, exist_ok=True)
        formatter.title = f'{lib.name}/{path.relative_to(lib).as_posix()}'
        page.write_text(highlight(path.read_text(encoding='utf-8'), PythonLexer(), formatter), encoding='utf-8')


def build(out: Path = None) -> Path:
    from nbdev.config import get_config
    from sphinx.cmd.build import build_main
    cfg = get_config()
    out = Path(out or cfg.config_path / cfg.doc_path)
    proc = process_notebooks()
    shutil.rmtree(SRC, ignore_errors=True); SRC.mkdir(parents=True)
    shutil.copytree(ROOT / 'figures', SRC / 'figures', ignore=shutil.ignore_patterns('*.md'))   # images for includes
    pages, notebooks = {}, {}
    for path in sorted(proc.glob('*.ipynb')):
        page, nb = convert(json.loads(path.read_text()), ROOT / 'nbs')
        pages[path.name], notebooks[page] = page, nb
    if 'index' not in notebooks: raise SystemExit('No home page: nbs/index.ipynb is missing.')
    notebooks['index']['cells'] += toctrees(pages, navigation())
    for page, nb in notebooks.items():
        for i, cell in enumerate(nb['cells']): cell.setdefault('id', f'docs-{i}')   # the cells this script added
        (SRC / f'{page}.ipynb').write_text(json.dumps(nb))
    (SRC / 'conf.py').write_text(sphinx_conf(cfg))
    html_dir = SRC.parent / 'docs_html'   # myst-nb writes jupyter_execute/ next to Sphinx's output folder
    shutil.rmtree(html_dir, ignore_errors=True)
    if build_main(['-b', 'html', '-q', '-j', 'auto', str(SRC), str(html_dir)]): raise SystemExit('Sphinx failed (see above).')
    shutil.rmtree(out, ignore_errors=True); shutil.copytree(html_dir, out)
    site = f'{cfg.doc_host}{cfg.doc_baseurl}'.rstrip('/') + '/'
    code = re.compile(re.escape(f'{cfg.git_url}/blob/{cfg.branch}/{cfg.lib_path.name}/') + r'([\w/]+)\.py#L(\d+)')
    for html in out.glob('*.html'):   # nbdev links names to the published site and code to GitHub; point both at this copy
        text = html.read_text(encoding='utf-8').replace(site, '')
        html.write_text(code.sub(r'_source/\1.py.html#L-\2', text), encoding='utf-8')
    source_pages(cfg.lib_path, out / '_source')
    (out / '.nojekyll').touch()
    print(f'{len(notebooks)} pages in {out}')
    return out


if __name__ == '__main__':
    build(sys.argv[1] if len(sys.argv) > 1 else None)
