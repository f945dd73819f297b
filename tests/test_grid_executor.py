"""The grid's and the leaderboard's jobs sent through submitit (issue #28), tested with submitit's LocalExecutor: a
process per job, started the way a Slurm node starts one, gives the rows a local run gives; a bad executor or option
stops the call before any work with one sentence; a job that fails names itself and its log."""
from pathlib import Path

import pandas as pd
import pytest
import submitit

from saft_nb.core import ConfigError, SaftError, load_plugins
from saft_nb.evaluate import EvalConfig
from saft_nb.grid import evaluate_models, run_grid
from saft_nb.loading import load_model
from saft_nb.models import save_clip

SMALL = EvalConfig(datasets='suite-shape', attacks='pgd', epsilons='1', steps=1, n=8)
KEY = ['model', 'dataset', 'attack', 'eps']


def submitit_processes(tmp_path) -> submitit.LocalExecutor:
    "A process per job; submitit's own limit for a local job (2 minutes) raised, for a busy machine."
    executor = submitit.LocalExecutor(tmp_path / 'submitit')
    executor.update_parameters(timeout_min=10)
    return executor


def same_rows(here: pd.DataFrame, sent: pd.DataFrame) -> None:
    "Every column but the seconds each measurement took and the folder it was written to (each call has its own out)."
    here, sent = (rows.drop(columns=['seconds', 'folder'], errors='ignore').sort_values(KEY).reset_index(drop=True) for rows in (here, sent))
    pd.testing.assert_frame_equal(here, sent)


def test_the_grid_through_submitit_gives_the_local_rows(tmp_path, capsys):
    here = run_grid(['none'], [0], [SMALL], out=tmp_path / 'here', progress=False)
    sent = run_grid(['none'], [0], [SMALL], out=tmp_path / 'sent', executor=submitit_processes(tmp_path))
    assert (here.attrs['executor'], sent.attrs['executor']) == ('local', 'LocalExecutor')
    same_rows(here, sent)
    assert sent.attrs['timings'].computed.all() and 'none: evaluated in' in capsys.readouterr().out   # a line per finished job
    assert list((tmp_path / 'submitit').glob('*_log.err'))                                          # the job's logs
    again = run_grid(['none'], [0], [SMALL], out=tmp_path / 'sent', progress=False)   # the submitted job's work, read here
    assert not again.attrs['timings'].computed.any()


def test_the_leaderboard_through_submitit_gives_the_local_rows(tmp_path, capsys):
    models = ['embedded', str(save_clip(load_model(), tmp_path / 'copy.safetensors'))]
    here = evaluate_models(models, SMALL, out=tmp_path / 'here', progress=False)
    # the copy's finished evaluation folder is read as an entry; embedded is the one job
    read = str(here.attrs['folders'][1])
    sent = evaluate_models(['embedded', read], SMALL, out=tmp_path / 'sent', executor=submitit_processes(tmp_path))
    assert (here.attrs['executor'], sent.attrs['executor']) == ('local', 'LocalExecutor')
    same_rows(here, sent)
    assert list(map(str, sent.attrs['folders'])) == [str(tmp_path / 'sent' / 'embedded'), read]
    printed = capsys.readouterr().out
    assert printed.count('evaluated into') == 1 and f"embedded: evaluated into {tmp_path / 'sent' / 'embedded'} [1/1]" in printed, printed


@pytest.mark.parametrize('call, message', [
    (lambda out: run_grid(['none'], [0], [SMALL], out=out, executor='slrum'),
     "Unknown executor 'slrum': give 'local', 'slurm' or a submitit Executor"),
    (lambda out: evaluate_models(['embedded'], SMALL, out=out, executor='slurm', slurm={'partition': 'gpu', 'timeout_min': 60}),
     "Unknown slurm option 'partition': give one of submitit's shared options"),
    (lambda out: evaluate_models(['embedded'], SMALL, out=out, executor='slurm', slurm='{"slurm_partition": "gpu"}'),
     "executor 'slurm' needs a time limit per job"),
    (lambda out: run_grid(['none'], [0], [SMALL], out=out, slurm={'slurm_partition': 'gpu'}),
     "slurm options go with executor 'slurm' only"),
])
def test_a_bad_executor_or_option_is_one_sentence_before_any_work(tmp_path, call, message):
    with pytest.raises(ConfigError) as caught: call(tmp_path / 'out')
    text = str(caught.value)
    assert text.startswith(message) and text.endswith('.') and '\n' not in text, text
    assert not (tmp_path / 'out').exists()


def test_a_failed_job_names_itself_and_its_log(tmp_path):
    plugin = tmp_path / 'fails_on_the_node.py'   # loads here, fails in every submitted job
    plugin.write_text("import os\nif 'SUBMITIT_LOCAL_JOB_ID' in os.environ: raise RuntimeError('no such GPU on this node')\n")
    load_plugins([str(plugin)])
    try:
        with pytest.raises(SaftError) as caught:
            evaluate_models(['embedded'], SMALL, out=tmp_path / 'board', executor=submitit_processes(tmp_path), progress=False)
    finally: plugin.unlink()   # plugin_sources() leaves a deleted file out: later jobs of this process do not load it
    text = str(caught.value)
    assert text.startswith('The job for embedded failed (') and 'RuntimeError: no such GPU on this node' in text, text
    log = Path(text.rsplit('its log is ', 1)[1][:-1])
    assert log.is_file() and 'no such GPU on this node' in log.read_text()
