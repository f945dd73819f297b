"""Write README.md from nbs/index.ipynb (nbdev's own `nbdev_readme` needs Quarto, which cannot be installed here).

Markdown cells are copied as they are, with Quarto's `{{< include path >}}` replaced by that file (path relative to
nbs/, as Quarto reads it) and links into `../` made relative to the repository root; code cells become python blocks,
and their saved text outputs follow them. Cells whose first line is a `#| hide` directive are left out. `--check`
exits 1 when README.md is out of date.
"""
import re, sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def expand_includes(markdown: str, base: Path) -> str:
    "Quarto's `{{< include path >}}` replaced by that file (path relative to `base`), links into `../` made relative."
    markdown = re.sub(r'\{\{< include (\S+) >\}\}', lambda m: (base / m.group(1)).read_text(encoding='utf-8').strip(), markdown)
    return markdown.replace('](../', '](')


def render(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        src = cell.source.strip()
        if not src or src.startswith('#| hide'): continue
        if cell.cell_type == 'markdown': parts.append(expand_includes(src, nb_path.parent))
        elif cell.cell_type == 'code':
            parts.append(f'```python\n{src}\n```')
            text = ''.join(o.get('text', '') for o in cell.get('outputs', []) if o.get('output_type') == 'stream')
            if text.strip(): parts.append(f'```\n{text.rstrip()}\n```')
    return '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text(encoding='utf-8') != text: sys.exit('README.md is out of date: run python tools/make_readme.py')
    else: readme.write_text(text, encoding='utf-8')
