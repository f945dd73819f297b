"""One schema: the experiment notebooks' parameters cells are written from the config dataclasses by
`tools/sync_parameters.py`, and the notebooks hand the fields on with `config_parameters`, so a field is added once."""

import importlib.util, json, shutil, sys
from dataclasses import dataclass, fields
from pathlib import Path

import papermill as pm
import pytest

from notebook_runs import NBS

ROOT = NBS.parent


def _tool():
    spec = importlib.util.spec_from_file_location('sync_parameters', ROOT / 'tools' / 'sync_parameters.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


sync = _tool()


def test_every_parameters_cell_is_written_from_its_dataclass():
    assert sync.differences() == [], sync.differences()[0]


def test_an_out_of_date_cell_is_named_with_its_first_difference(tmp_path):
    for notebook in sync.expected_cells(): shutil.copy(NBS / notebook, tmp_path / notebook)
    nb = json.loads((tmp_path / 'train.ipynb').read_text())
    cell = next(c for c in nb['cells'] if 'parameters' in c['metadata'].get('tags', []))
    cell['source'] = [l for l in cell['source'] if not l.startswith('val_n:')]       # a field the notebook lost
    (tmp_path / 'train.ipynb').write_text(json.dumps(nb))
    found = sync.differences(tmp_path)
    assert len(found) == 1 and 'train.ipynb: its parameters cell is out of date' in found[0], found
    assert "'val_attack_steps: Optional[int] = None" in found[0] and "'val_n: Optional[int] = None" in found[0], found[0]
    assert sync.main(['--check', '--nbs', str(tmp_path)]) == 1
    assert sync.write(tmp_path) == ['train.ipynb'] and sync.differences(tmp_path) == []   # written again, outputs kept


@dataclass
class Demo:
    size: int | None = None          # a new field's comment: its help in every notebook
    names: list[str] | str | None = None   # a list, given as comma-separated text in a notebook
    flag: bool = False               # a switch


def test_a_field_is_a_parameter_with_its_type_default_and_comment():
    text = sync.render(sync.field_parameters(Demo), 'Demo')
    lines = text.splitlines()
    assert lines[0].startswith('# written by tools/sync_parameters.py from Demo')
    assert [' '.join(l.split()) for l in lines[1:]] == ["size: Optional[int] = None # a new field's comment: its help in every notebook",
                                                        "names: Optional[str] = None # a list, given as comma-separated text in a notebook",
                                                        "flag: bool = False # a switch"]
    assert len({l.index('#') for l in lines[1:]}) == 1                     # the comments in one column


@pytest.mark.parametrize('notebook, config', [('train.ipynb', 'TrainConfig'), ('evaluate.ipynb', 'EvalConfig'),
                                              ('leaderboard.ipynb', 'EvalConfig')])
def test_the_notebooks_declare_every_field_and_hand_them_on_by_name(notebook, config):
    import saft_nb.evaluate, saft_nb.train
    cls = getattr(saft_nb.train if config == 'TrainConfig' else saft_nb.evaluate, config)
    declared = pm.inspect_notebook(str(NBS / notebook))
    assert {f.name for f in fields(cls)} <= set(declared)
    assert {'plugins', 'datasets_dir'} <= set(declared)
    code = '\n'.join(''.join(c['source']) for c in json.loads((NBS / notebook).read_text())['cells'] if c['cell_type'] == 'code')
    assert f'config_parameters({config}, globals())' in code and 'given = dict(' not in code
    assert 'load_extensions(plugins, datasets_dir)' in code


def test_no_parameter_help_lists_the_methods():
    from saft_nb.methods import METHODS
    for notebook, text in sync.expected_cells().items():
        for line in text.splitlines():
            listed = [m for m in METHODS if m not in ('none',) and f' {m},' in line]
            assert not listed, (notebook, line)
