"""Run every notebook in nbs/ as a test, the way `nbdev_test` does (one pytest test per notebook)."""
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_notebook  # renamed so that pytest does not collect nbdev's function

NBS = sorted((Path(__file__).resolve().parents[1] / 'nbs').glob('*.ipynb'))


@pytest.mark.parametrize('notebook', NBS, ids=[p.stem for p in NBS])
def test_notebook(notebook, capsys):
    ok, seconds = run_notebook(notebook, skip_flags=['notest'])
    assert ok, f'{notebook.name} failed; its traceback is above'
