"""The papermill entry points run end to end with parameters, and reject bad ones with a clear message."""
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

NBS = Path(__file__).resolve().parents[1] / 'nbs'


@pytest.fixture(autouse=True)
def not_under_nbdev_test(monkeypatch):
    "nbdev's notebook runner sets IN_TEST in this process; papermill runs must not inherit its smoke-test mode."
    monkeypatch.delenv('IN_TEST', raising=False)


def execute(tmp_path, notebook, **parameters):
    return pm.execute_notebook(str(NBS / notebook), str(tmp_path / notebook), parameters=parameters,
                               kernel_name='python3', cwd=str(NBS), progress_bar=False)


def test_evaluate_writes_a_results_table(tmp_path):
    execute(tmp_path, 'evaluate.ipynb', datasets='suite-shape,suite-color', n=40, out=str(tmp_path / 'runs'))
    (run,) = (tmp_path / 'runs').iterdir()
    results = pd.read_csv(run / 'results.csv')
    assert list(results.dataset) == ['suite-shape', 'suite-color']
    assert (results.n == 40).all() and results.top1.between(0, 100).all()
    assert (results.resolution == 48).all()


@pytest.mark.parametrize('parameters, message', [
    (dict(model='no-such-model'), "Unknown model 'no-such-model'"),
    (dict(datasets='cifar11'), "Unknown dataset 'cifar11'"),
    (dict(n='many'), 'n must be an integer'),
])
def test_evaluate_rejects_bad_parameters(tmp_path, parameters, message):
    with pytest.raises(pm.PapermillExecutionError, match=message):
        execute(tmp_path, 'evaluate.ipynb', out=str(tmp_path / 'runs'), **parameters)


def test_train_rejects_an_unknown_method(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="Unknown method 'tecao'; choose one of: agft, fare, none, pmg-aft, tecoa"):
        execute(tmp_path, 'train.ipynb', method='tecao', out=str(tmp_path / 'runs'))
