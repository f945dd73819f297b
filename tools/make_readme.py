"""Write README.md from nbs/index.ipynb (nbdev's own `nbdev_readme` needs Quarto, which cannot be installed here).

Markdown cells are copied as they are, with Quarto's `{{< include path >}}` replaced by that file (path relative to
nbs/, as Quarto reads it) and links into `../` made relative to the repository root; code cells become python blocks,
and their saved text outputs follow them. Cells whose first line is a `#| hide` directive are left out.

Some included files are made here, from the package, before the README: `figures/methods.md`, the methods table,
from the method registry (`saft_nb.methods.method_defaults`), so that a new method appears in the README and on the
docs' home page with no hand edit, its paper and code linked; `figures/defenses-summary.md`, whose defense names link
their papers. `--check` exits 1 when README.md or a made file is out of date.
"""
import re, sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def expand_includes(markdown: str, base: Path) -> str:
    "Quarto's `{{< include path >}}` replaced by that file (path relative to `base`), links into `../` made relative."
    markdown = re.sub(r'\{\{< include (\S+) >\}\}', lambda m: (base / m.group(1)).read_text(encoding='utf-8').strip(), markdown)
    return markdown.replace('](../', '](')


def _cell(value) -> str:
    "A value as the text of a markdown table cell ('-' for none)."
    text = '-' if value is None or value != value or value == '' else str(value)   # value != value: NaN
    return text.replace('|', '\\|')


def _link(text: str, url: str | None) -> str:
    "`text` as a Markdown link to `url`, or `text` itself when there is no address."
    return f'[{text}]({url})' if url else text


def methods_table() -> str:
    """The methods table of the README and the docs' home page, from the registry: one row per method the package
    ships (a plugin's methods are left out), its paper (authors and venue, a link to it: the methods page has the
    titles), its official code, what it trains, its training attack, its default epochs on the suite and its recipe,
    as `method_defaults()` gives them. A method with no public code shows '-' (its `no_link` says why)."""
    from saft_nb.methods import METHODS, method_defaults, parameter_group
    table = method_defaults()
    rows = ['| method | paper | code | trains | training attack (1/255) | suite epochs | recipe |',
            '|---|---|---|---|---|---|---|']
    for name, row in table.iterrows():
        if not METHODS[name].__module__.startswith('saft_nb.'): continue   # installed plugins are not the package's
        attack = (None if row['attack steps'] != row['attack steps'] else
                  f"PGD-{int(row['attack steps'])}, eps {row['attack eps']:g}, step {row['attack step']:g}")
        epochs = None if row['suite epochs'] != row['suite epochs'] else int(row['suite epochs'])
        parts = row['paper'].split(', ')
        venue = next((p for p in parts[1:] if re.match(r'[A-Za-z]+ \d{4}\b', p)), None)   # 'ICLR 2023', after the title
        paper = f'{parts[0]}, {venue}' if venue else row['paper']                            # Mao et al., ICLR 2023
        cls = METHODS[name]
        cells = [f'`{name}`', _link(paper, cls.paper_url), _link('code', cls.code_url) if cls.code_url else None,
                 parameter_group(row['trains']).description, attack, epochs, row['recipe']]
        rows.append('| ' + ' | '.join(_cell(c) for c in cells) + ' |')
    return '\n'.join(rows) + '\n'


SUMMARY_COLUMNS = ['model', 'defense', 'images', 'clean', 'as published', 'adaptive', 'worst case', 'x plain']

def defenses_summary(source: Path = ROOT / 'figures' / 'defenses.md') -> str:
    """The README's narrow table of the defenses sandbox: the first table of `figures/defenses.md` (written by
    nbs/test_time_defenses.ipynb, which shows every column) with `SUMMARY_COLUMNS` only, each registered defense's
    name a link to its paper, then the line saying how it was made."""
    from saft_nb.defenses import get_defense, list_defenses
    papers = {name: get_defense(name).paper_url for name in list_defenses()}
    lines = source.read_text(encoding='utf-8').splitlines()
    table = [l for l in lines[:next((i for i, l in enumerate(lines) if not l.startswith('|')), len(lines))]]
    split = lambda l: [c.strip() for c in re.split(r'(?<!\\)\|', l.strip().strip('|'))]
    header = split(table[0])
    keep = [header.index(c) for c in SUMMARY_COLUMNS if c in header]
    out = ['| ' + ' | '.join(header[i] for i in keep) + ' |', '|' + '---|' * len(keep)]
    linked = lambda column, cell: _link(cell, papers.get(cell)) if column == 'defense' else cell
    out += ['| ' + ' | '.join(linked(header[i], split(l)[i]) for i in keep) + ' |' for l in table[2:]]
    after = next((l for l in lines[len(table):] if l.strip()), '')
    return '\n'.join(out) + '\n\n' + after + '\n'


MADE = {ROOT / 'figures' / 'methods.md': methods_table,   # files index.ipynb includes, made from the package
        ROOT / 'figures' / 'defenses-summary.md': defenses_summary}   # and from nbs/test_time_defenses.ipynb's run


def readme_links(markdown: str, folder: Path = ROOT / 'nbs') -> str:
    "Links to the site's pages (`train.html`) as links to their notebooks (`nbs/train.ipynb`), which GitHub shows."
    return re.sub(r'\]\(([\w-]+)\.html\)', lambda m: f'](nbs/{m.group(1)}.ipynb)' if (folder / f'{m.group(1)}.ipynb').is_file() else m.group(0), markdown)


def render(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        src = cell.source.strip()
        if not src or src.startswith('#| hide'): continue
        if cell.cell_type == 'markdown': parts.append(readme_links(expand_includes(src, nb_path.parent)))
        elif cell.cell_type == 'code':
            parts.append(f'```python\n{src}\n```')
            text = ''.join(o.get('text', '') for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
            if text.strip(): parts.append(f'```\n{text.rstrip()}\n```')
    return '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'


def _stale(path: Path, text: str) -> bool: return not path.exists() or path.read_text(encoding='utf-8') != text


if __name__ == '__main__':
    made = {path: make() for path, make in MADE.items()}
    if '--check' in sys.argv:
        stale = [str(p.relative_to(ROOT)) for p, text in made.items() if _stale(p, text)]
        if stale: sys.exit(f"{', '.join(stale)} out of date: run python tools/make_readme.py")
        if _stale(ROOT / 'README.md', render()): sys.exit('README.md is out of date: run python tools/make_readme.py')
    else:
        for path, text in made.items(): path.write_text(text, encoding='utf-8')
        (ROOT / 'README.md').write_text(render(), encoding='utf-8')
