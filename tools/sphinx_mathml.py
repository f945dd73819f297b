"""A Sphinx math renderer that writes MathML when the site is built (latex2mathml): formulas render offline, in any
current browser, with no script or font to fetch (Sphinx's default, MathJax, loads from a CDN)."""
import re

from docutils import nodes
from latex2mathml.converter import convert

# latex2mathml prints a delimiter given as a command after a size command literally (`\big\|` shows "\|"); the
# characters themselves it sizes right
DELIMITERS = {r'\|': '‖', r'\Vert': '‖', r'\lVert': '‖', r'\rVert': '‖', r'\vert': '|', r'\lvert': '|',
              r'\rvert': '|', r'\{': '{', r'\}': '}', r'\lbrace': '{', r'\rbrace': '}', r'\langle': '⟨',
              r'\rangle': '⟩', r'\lfloor': '⌊', r'\rfloor': '⌋', r'\lceil': '⌈', r'\rceil': '⌉'}
SIZED = re.compile(r'(\\[bB]igg?[lrm]?)\s*(' + '|'.join(re.escape(d) + (r'(?![A-Za-z])' if d[-1].isalpha() else '')
                                                        for d in sorted(DELIMITERS, key=len, reverse=True)) + ')')


def mathml(latex: str, display: str = 'inline') -> str:
    return convert(SIZED.sub(lambda m: m.group(1) + DELIMITERS[m.group(2)], latex), display=display)


def _inline(translator, node):
    translator.body.append(mathml(node.astext()))
    raise nodes.SkipNode


def _block(translator, node):
    translator.body.append(f'<div class="math-block">{mathml(node.astext(), display="block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer('mathml', (_inline, None), (_block, None))
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
