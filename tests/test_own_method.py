"""The tutorial `nbs/own_method.ipynb` works as written: its method file and its commands, run from a temporary
folder through papermill (with fewer images and one epoch), give a leaderboard with the user's method beside TeCoA."""

import json, re, shlex, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

from notebook_runs import NBS

# what the tutorial's commands cost on 2 cores, cut to a test's size (papermill: a later -p overrides an earlier one)
SMALL = {'nbs/train.ipynb': '-p epochs 1 -p train_n 64 -p batch_size 32 -p val_n 32 -p test_n 32',
         'nbs/leaderboard.ipynb': '-p datasets suite-shape,suite-color -p n 32 -p steps 2'}


def tutorial_blocks(language: str) -> list[str]:
    "The ```language blocks of the tutorial page's markdown, in order."
    nb = json.loads((NBS / 'own_method.ipynb').read_text(encoding='utf-8'))
    text = '\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')
    return re.findall(rf'```{language}\n(.*?)```', text, re.S)


@pytest.fixture(autouse=True)
def not_under_nbdev_test(monkeypatch):
    monkeypatch.delenv('IN_TEST', raising=False)


def test_the_tutorial_trains_and_ranks_your_own_method_beside_tecoa(tmp_path):
    (method_file,), (commands,) = tutorial_blocks('python'), tutorial_blocks('bash')
    (tmp_path / 'my_methods.py').write_text(method_file, encoding='utf-8')
    (tmp_path / 'nbs').symlink_to(NBS)                      # the commands are written for the repository root
    bin_dir = Path(sys.executable).parent                    # papermill of this environment
    for line in commands.strip().splitlines():
        args = shlex.split(line)
        if args[0] == 'papermill':
            args = [str(bin_dir / 'papermill')] + args[1:] + shlex.split(SMALL[args[1]]) + ['--log-level', 'WARNING']
        done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}\n{done.stderr[-3000:]}"
    config = json.loads((tmp_path / 'runs/own/smooth-tecoa/config.json').read_text())
    assert config['method'] == 'smooth-tecoa'
    assert any(p['source'] == str((tmp_path / 'my_methods.py').resolve()) and p['sha256'] for p in config['plugins'])
    board = pd.read_csv(tmp_path / 'runs/own/board/leaderboard.csv', index_col=0)
    assert set(board.method) == {'none', 'tecoa', 'smooth-tecoa'}, board
    assert board.robust.between(0, 100).all()
