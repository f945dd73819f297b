"""The shell commands of README.md and of the docs pages, as a user copies them: `python tools/readme_commands.py` lists every command with
its block number; `--block N` prints block N's commands (continuation lines joined), for `bash -e` to run (CI runs
the first: the install and the main job)."""
from __future__ import annotations
import argparse, re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / 'README.md'

def readme_blocks(text: str | None = None) -> list[list[str]]:
    "Each ```sh block of README.md as its list of commands (a trailing backslash joins the next line; comments dropped)."
    text = README.read_text() if text is None else text
    blocks = []
    for body in re.findall(r'```(?:sh|bash)\n(.*?)```', text, re.S):
        joined = re.sub(r'\\\n\s*', ' ', body)
        blocks.append([line.split('  #')[0].strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith('#')])
    return blocks

def page_blocks(folder: Path = README.parent / 'nbs') -> dict[str, list[list[str]]]:
    "The ```sh blocks of each notebook's markdown cells (the docs pages; index.ipynb is README.md), by notebook name."
    import json
    pages = {}
    for path in sorted(folder.glob('*.ipynb')):
        if path.stem == 'index': continue
        text = '\n'.join(''.join(c['source']) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'markdown')
        if blocks := readme_blocks(text): pages[path.name] = blocks
    return pages

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--block', type=int, default=None, help="print only this block's commands (1 is the first)")
    args = parser.parse_args()
    blocks = readme_blocks()
    if args.block is not None: print('\n'.join(blocks[args.block - 1]))
    else:
        for i, block in enumerate(blocks, 1):
            for command in block: print(f"{i}: {command}")
