"""Build the documentation site into `_docs/` offline, from the same processed notebooks that `nbdev_docs` renders.

    python tools/build_docs.py            # then open _docs/index.html, or: python -m http.server -d _docs

Where Quarto is installed, `nbdev_docs` builds the site the standard nbdev way (and publishes it to GitHub Pages).
Quarto cannot be installed everywhere (not here), so this command renders the same pages with Sphinx and myst-nb:

1. nbdev processes the notebooks into `_proc/` (show_doc cells for every exported name, hidden cells dropped,
   links to the API added): what Quarto would render. No notebook is executed: the pages show the outputs saved in
   `nbs/` (`tools/execute_nbs.py` makes them and checks that they are up to date).
2. Each processed notebook becomes a Sphinx source notebook in `build/docs_src/`: the front matter becomes the
   page's header (title, description, and the notebook it is made from, whose copy the site carries under `nbs/`),
   Quarto cell options (`#| echo: false`, `#| output: false`, `#| include: false`) become myst-nb tags, Quarto's
   `{{< include >}}` is expanded, a line that starts with `%` is escaped (a comment to MyST), and widget outputs and
   the widgets' saved state are dropped so that a view shows the static figure saved with it and no page loads a
   widget manager from a CDN (a progress bar's frozen first frame is dropped). Each show_doc's signature is remade
   from the package (nbdev's names the types of its own shell, `__main__.Objective`, and prints defaults such as
   `os.environ` by value) and gets a table of its parameters (type, default, the comment after each). Page names
   and the navigation come from nbdev: the `output-file` of each page and `nbs/sidebar.yml`.
3. Sphinx renders them into `_docs/` with the Furo theme, formulas as MathML made at build time (no script from a
   CDN), code that wraps in the column, a copy button on code (sphinx-copybutton, its script served with the site);
   links into the published site become relative links, show_doc's source links open the package's modules as
   highlighted pages in `_docs/_source/`, and each entry of the navigation shows its page's description on hover.
"""
import ast, functools, inspect, json, os, re, shutil, sys, tempfile, textwrap, types, typing
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
    if isinstance(anno, inspect._ParameterKind): return ''              # docments' mark for an unannotated *args or **options
    if isinstance(anno, type) and not getattr(anno, '__args__', None):   # docments' guess from a default: not os._Environ
        return '' if anno.__name__.startswith('_') else anno.__name__
    return re.sub(r'\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])', '', str(anno))   # typing.Optional[saft_nb.x.Y] -> Optional[Y]


def subject_object(subject: str):
    "The package's object for show_doc's `subject` ('train', 'Method.loss'), or None."
    head, *rest = subject.split('.')
    obj = exported_names().get(head)
    for attr in rest: obj = getattr(obj, attr, None)
    return obj


def _written_defaults(obj) -> dict:
    """Each parameter's default as the source writes it (`os.environ`, `Path(__file__).parent / 'weights'`): what a
    reader may copy, where the value itself would print the build machine's environment or folders."""
    try: node = ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0]
    except (TypeError, OSError, SyntaxError, IndexError): return {}
    if isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == '__init__'), None)
        if init is None:   # a dataclass: its fields; field(default_factory=f) makes a fresh f() for each instance
            def written(value):
                if isinstance(value, ast.Call) and ast.unparse(value.func).endswith('field'):
                    for kw in value.keywords:
                        if kw.arg == 'default': return ast.unparse(kw.value)
                        if kw.arg == 'default_factory': return f'{ast.unparse(kw.value)}()'
                return ast.unparse(value)
            return {n.target.id: written(n.value) for n in node.body
                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None}
        node = init
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): return {}
    positional = node.args.posonlyargs + node.args.args
    written = {a.arg: ast.unparse(v) for a, v in zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults)}
    written.update({a.arg: ast.unparse(v) for a, v in zip(node.args.kwonlyargs, node.args.kw_defaults) if v is not None})
    return written


MACHINE_PATHS = tuple({str(ROOT), tempfile.gettempdir() + os.sep, str(Path.home()) + os.sep, 'site-packages'})


def default_text(obj, name: str, value) -> str:
    "A default as the page shows it: its value, unless that is long, a memory address or this machine's paths."
    text = repr(value)
    if len(text) > 40 or ' at 0x' in text or any(p in text for p in MACHINE_PATHS):
        text = _written_defaults(obj).get(name, '...' if any(p in text for p in MACHINE_PATHS) else text)
    return text


def annotation_text(anno) -> str:
    "A type as a reader writes it: `Tensor`, `list[EvalConfig]`, `dict|str|None` (no `__main__.`, no module paths)."
    if anno is inspect.Parameter.empty: return ''
    if anno is None or anno is type(None): return 'None'
    if anno is Ellipsis: return '...'
    if isinstance(anno, str): return anno
    if isinstance(anno, list): return '[' + ','.join(map(annotation_text, anno)) + ']'
    origin, args = typing.get_origin(anno), typing.get_args(anno)
    if origin in (typing.Union, types.UnionType): return '|'.join(map(annotation_text, args))
    if origin is typing.Literal: return f"Literal[{','.join(map(repr, args))}]"
    if origin is not None:
        name = getattr(anno, '_name', None) or getattr(origin, '__name__', str(origin))
        return f"{name}[{','.join(map(annotation_text, args))}]" if args else name
    if isinstance(anno, type): return anno.__qualname__
    return re.sub(r'\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])', '', str(anno))


def signature_lines(name: str, obj, width: int = 76) -> list[str] | None:
    """`name (a:T, b:T=default, *, c=..., **options)` in nbdev's style, from the package's object, wrapped to `width`
    so that it fits the text column; None where the object has no signature."""
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return None
    parts, kinds = [], [p.kind for p in sig.parameters.values()]
    for i, p in enumerate(sig.parameters.values()):
        if p.kind is p.KEYWORD_ONLY and inspect.Parameter.VAR_POSITIONAL not in kinds and kinds.index(p.KEYWORD_ONLY) == i:
            parts.append('*')
        prefix = {p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind, '')
        text = prefix + p.name
        if p.annotation is not p.empty: text += ':' + annotation_text(p.annotation)
        if p.default is not p.empty: text += '=' + default_text(obj, p.name, p.default)
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(kinds) or kinds[i + 1] is not p.POSITIONAL_ONLY): parts.append('/')
    lead = f'{name} ('
    indent = ' ' * (len(lead) if len(lead) < width // 3 else 4)
    lines, line = [], lead
    for i, part in enumerate(parts):
        part += ', ' if i < len(parts) - 1 else ''
        if len(line) + len(part.rstrip()) > width and line.strip() not in ('', lead.strip()):
            lines.append(line.rstrip()); line = indent
        line += part
    return lines + [line.rstrip() + ')']


def _main_to_module(match: re.Match) -> str:
    obj = exported_names().get(match.group(1))
    return f'{obj.__module__}.{match.group(1)}' if obj is not None else match.group(1)


def fix_signature(text: str, subject: str) -> str:
    """show_doc's signature block (`>      name (...)`), remade from the package: nbdev formats it from the objects it
    defines in its own shell, so types show as `__main__.Objective` and defaults by their values, the build machine's
    whole environment for `environ=os.environ`, its folders for `Path(__file__).parent / 'weights'`."""
    def remake(block: re.Match) -> str:
        name = block.group(1)
        lines = signature_lines(name, subject_object(subject)) if name.split('.')[-1] == subject.split('.')[-1] else None
        if lines is None: return re.sub(r'__main__\.(\w+)', _main_to_module, block.group(0))
        return '\n'.join(f'>      {l}' for l in lines)
    return re.sub(r'(?m)^> {5,}([\w.]+) \(.*(?:\n> +\S.*)*', remake, text, count=1)


def parameter_table(subject: str) -> str:
    """A Markdown table of the parameters of the exported `subject` ('train', 'TrainConfig', 'Method.loss'): type,
    default and the comment written after each (fastcore's docments; a dataclass's fields). nbdev's show_doc makes
    this table only where it can read the source, which it cannot for the classes it runs in its own shell. None
    where it would say nothing but the names the signature shows (`*args, **kwargs` passed on)."""
    from fastcore.docments import docments
    obj = subject_object(subject)
    if not callable(obj): return ''
    try: params = docments(obj, full=True)
    except (TypeError, ValueError, OSError): return ''
    try: kinds = {name: p.kind for name, p in inspect.signature(obj).parameters.items()}
    except (TypeError, ValueError): kinds = {}
    stars = {inspect.Parameter.VAR_POSITIONAL: '*', inspect.Parameter.VAR_KEYWORD: '**'}
    rows = [(name, p) for name, p in params.items() if name not in ('self', 'cls', 'return')]
    cell = lambda text: str(text).replace('|', '\\|').replace('\n', ' ')
    lines = ['| parameter | type | default | details |', '|---|---|---|---|']
    for name, p in rows:
        default = '' if p['default'] is inspect.Parameter.empty else f"`{default_text(obj, name, p['default'])}`"
        details = p['docment'] if isinstance(p['docment'], str) else ''
        lines.append(f"| `{stars.get(kinds.get(name), '')}{name}` | {cell(_type_name(p['anno']))} | {cell(default)} | {cell(details)} |")
    returned = params.get('return', {})
    if _type_name(returned.get('anno', inspect.Parameter.empty)) and not inspect.isclass(obj):
        details = returned['docment'] if isinstance(returned.get('docment'), str) else ''
        lines.append(f"| *returns* | {cell(_type_name(returned['anno']))} |  | {cell(details)} |")
    if all(re.fullmatch(r'\| `[^`]*` \|\s*\|\s*\|\s*\|', l) for l in lines[2:]): return ''   # names only: an empty table
    return '\n'.join(lines)


def machine_free(text: str) -> str:
    """`text` of a saved output without the paths of the machine that executed the notebook: this checkout's root and
    the home folder as relative and `~`, a temporary folder as `$TMPDIR/...`, a package's file from where it sits
    in site-packages (a warning's `.../site-packages/torch/jit/_script.py` is `torch/jit/_script.py`)."""
    import tempfile
    text = re.sub(r'\S*/site-packages/', '', text)
    text = re.sub(re.escape(tempfile.gettempdir().rstrip('/')) + r'/tmp\w+', '$TMPDIR/tmp', text)
    return text.replace(f'{ROOT}/', '').replace(f'{Path.home()}/', '~/')


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
        if 'text' in out: out['text'] = machine_free(''.join(out['text']))
        if 'text/plain' in data: data['text/plain'] = machine_free(''.join(data['text/plain']))
        if 'text/markdown' in data:   # show_doc's source links carry Pandoc attributes, which MyST would print
            text = ''.join(data['text/markdown'])
            text = re.sub(r'\)\{target="_blank"[^}]*\}', ')', text)
            text = re.sub(r'^\s*---\n', '', text)   # a rule can't sit inside an output
            subject = re.fullmatch(r'show_doc\(([\w.]+)\)', cell['source'].strip())
            if subject: text = fix_signature(text, subject.group(1))
            else: text = myst_text(text)   # a Markdown output (a card, a table) is parsed by MyST like a cell
            table = parameter_table(subject.group(1)) if subject else ''
            if table:   # nbdev's own table, where it could read the source, gives way to the one made from the package
                text = re.sub(r'\n\|\s*\|\s*\*\*Type\*\*.*?(?=\n\s*\n|\Z)', '', text, flags=re.S).rstrip()
            data['text/markdown'] = f'{text}\n\n{table}' if table else text
    return cell


def myst_text(text: str) -> str:
    """Markdown as Pandoc reads it, for MyST: a line that starts with `%` is a comment to MyST (a sentence wrapped
    before "%, column 0 = clean" lost its end), so it is escaped, outside code and math blocks."""
    out, fence, math = [], None, False
    for line in text.split('\n'):
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence): fence = None
        elif math:
            if '$$' in stripped: math = False
        elif m := re.match(r'`{3,}|~{3,}', stripped): fence = m.group(0)
        elif stripped.startswith('$$') and stripped.count('$$') == 1: math = True
        elif stripped.startswith('%') and len(line) - len(stripped) < 4:   # 4 spaces: an indented code block
            line = line[:len(line) - len(stripped)] + '\\' + stripped
        out.append(line)
    return '\n'.join(out)


def page_header(fm: dict, source: str | None) -> str:
    """The title, the page's one-paragraph description (nbdev's `> ...` line) and the notebook it is made from, linked
    to the copy the site carries (`nbs/...` beside the pages, as in the repository)."""
    header = f"# {fm['title']}"
    if fm.get('description'): header += f"\n\n{{.page-description}}\n{fm['description']}"
    if source: header += f'\n\n<p class="page-source">Source: <a href="{source}" download><code>{source}</code></a></p>'
    return header


def convert(nb: dict, base: Path, source: str | None = None) -> tuple[str, dict]:
    """A processed notebook -> (page name, a notebook that Sphinx + myst-nb render like Quarto would). `source`: the
    notebook's path in the repository, shown in the page's header."""
    fm = _front_matter(nb['cells'][0]) if nb['cells'] else {}
    cells = nb['cells'][1:] if fm else nb['cells']
    page = Path(fm.get('output-file', 'index.html')).stem
    out = []
    if fm.get('title'): out.append({'cell_type': 'markdown', 'metadata': {}, 'source': page_header(fm, source)})
    for cell in cells:
        if cell['cell_type'] == 'raw': continue
        cell = {k: v for k, v in cell.items() if k in CELL_KEYS}   # nbdev's own marks (has_sd) are not nbformat's
        if cell['cell_type'] == 'code': cell = _code_cell(cell)
        else:
            # as in README.md: links into ../ point at the site's root, where figures/ is copied
            text = expand_includes(''.join(cell['source']), base)
            text = re.sub(r'\]\(([\w-]+)\.html\)', r'](\1.ipynb)', text)   # a link to a page: to its source, which MyST resolves (or warns)
            cell = {**cell, 'source': myst_text(text)}
        out.append(cell)
    # the widgets' saved state makes myst-nb load require.js and the widget manager from CDNs; the widget outputs
    # themselves are gone (a view shows the static figure saved with it), so the state is too
    metadata = {k: v for k, v in nb.get('metadata', {}).items() if k != 'widgets'}
    return page, {**nb, 'metadata': metadata, 'cells': out}


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
extensions = ['myst_nb', 'sphinx_mathml', 'sphinx_copybutton']
html_math_renderer = 'mathml'            # formulas as MathML, made here: no MathJax from a CDN
nb_execution_mode = 'off'                 # pages show the outputs saved in nbs/
nb_merge_streams = True                   # a cell's printed lines in one box, not one box per print
nb_render_markdown_format = 'myst'        # Markdown outputs (show_doc's) get tables and math, not bare CommonMark
myst_enable_extensions = ['dollarmath', 'colon_fence', 'attrs_block']   # attrs_block: the page's description gets its class
myst_dmath_allow_space = False            # '$HF_HOME/hub ($HF_HUB_CACHE' is text: math hugs its dollars
smartquotes = False                       # 'openai' stays as typed, a value a reader may copy
html_theme = 'furo'
html_static_path = [{str(Path(__file__).resolve().parent / 'docs_static')!r}]
html_css_files = ['saft-nb.css']          # wide tables that fit, code that wraps, figure captions, the header
html_copy_source = False                  # the header links the notebook itself, not Sphinx's copy of its JSON
copybutton_selector = 'div:not(.output) > div.highlight > pre'   # code (cells, commands, signatures), not outputs
copybutton_exclude = '.linenos, .gp, .go'  # prompts and printed lines of a session stay out of the copy
exclude_patterns = ['_build']
suppress_warnings = ['myst.header', 'misc.highlighting_failure']
'''


def plain_text(markdown: str) -> str:
    "A description as a tooltip shows it: no backticks, stars or link targets."
    return re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', markdown).replace('`', '').replace('*', '').strip()


def nav_descriptions(html: str, summaries: dict) -> str:
    "Each page's description as the tooltip of its entry in the sidebar (Furo's navigation shows titles only)."
    import html as html_lib
    def titled(m: re.Match) -> str:
        summary = summaries.get(m.group(2))
        return f'{m.group(1)} title="{html_lib.escape(summary)}">' if summary else m.group(0)
    head, sep, rest = html.partition('<div class="sidebar-tree">')
    nav, end, tail = rest.partition('</div>')
    return head + sep + re.sub(r'(<a class="reference internal" href="([\w-]+)\.html")>', titled, nav) + end + tail if sep else html


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
    pages, notebooks, sources, summaries = {}, {}, {}, {}
    nbs = cfg.config_path / cfg.nbs_path
    for path in sorted(proc.glob('*.ipynb')):
        source, processed = (nbs / path.name).relative_to(cfg.config_path).as_posix(), json.loads(path.read_text())
        page, nb = convert(processed, ROOT / 'nbs', source)
        pages[path.name], notebooks[page], sources[page] = page, nb, source
        summaries[page] = plain_text(_front_matter(processed['cells'][0]).get('description', '') if processed['cells'] else '')
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
        html.write_text(nav_descriptions(code.sub(r'_source/\1.py.html#L-\2', text), summaries), encoding='utf-8')
    source_pages(cfg.lib_path, out / '_source')
    for src in sources.values():   # the notebooks the headers link to, at their repository paths
        (out / src).parent.mkdir(parents=True, exist_ok=True); shutil.copy(cfg.config_path / src, out / src)
    (out / '.nojekyll').touch()
    print(f'{len(notebooks)} pages in {out}')
    return out


if __name__ == '__main__':
    build(sys.argv[1] if len(sys.argv) > 1 else None)
