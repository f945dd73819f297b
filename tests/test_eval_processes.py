"""Evaluation under torchrun: 2 CPU processes (gloo) share each dataset's images and write the folder 1 process
writes, image by image; a shard left by an interrupted run is read, not evaluated again."""
import json, os, subprocess, sys

import pandas as pd

ARGS = ['--datasets', 'suite-shape,suite-size', '--attacks', 'pgd,autoattack', '--epsilons', '2', '--steps', '2',
        '--aa-steps', '2', '--n-images', '14', '--batch-size', '5', '--device', 'cpu']
TWO = ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29541']
KEPT = ['dataset', 'attack', 'eps', 'target', 'accuracy', 'correct', 'n', 'clean_wrong_robust']


def _evaluate(tmp_path, name, launcher=(), *extra):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    env.pop('IN_TEST', None)
    cmd = [sys.executable, *launcher, '-m', 'saft_nb.evaluate', 'embedded', *ARGS, *extra, '--out', str(tmp_path), '--name', name]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == str(tmp_path / name), done.stdout   # the folder, printed last
    return tmp_path / name


def test_two_processes_write_what_one_writes(tmp_path):
    one, two = _evaluate(tmp_path, 'one'), _evaluate(tmp_path, 'two', TWO)
    pd.testing.assert_frame_equal(pd.read_parquet(one / 'outcomes.parquet'), pd.read_parquet(two / 'outcomes.parquet'))
    pd.testing.assert_frame_equal(pd.read_csv(one / 'results.csv')[KEPT], pd.read_csv(two / 'results.csv')[KEPT])
    assert (two / 'card.md').is_file() and not list((two / 'shards').iterdir())   # merged: no shard left behind


def test_a_written_shard_is_not_evaluated_again(tmp_path):
    from saft_nb.data import load_dataset
    from saft_nb.evaluate import EvalConfig, _shard_path, _write_shard, evaluate_images
    from saft_nb.loading import load_model
    two = _evaluate(tmp_path, 'two', TWO)
    # as if the run had stopped after process 1 wrote its shard of suite-size: that dataset undone, the shard on disk
    record = json.loads((two / 'results.json').read_text())
    record['rows'] = [r for r in record['rows'] if r['dataset'] != 'suite-size']; record['complete'] = False
    (two / 'results.json').write_text(json.dumps(record))
    outcomes = pd.read_parquet(two / 'outcomes.parquet')
    outcomes[outcomes.dataset != 'suite-size'].to_parquet(two / 'outcomes.parquet', index=False)
    images = sorted(outcomes[outcomes.dataset == 'suite-size'].image.unique())[1::2]   # process 1's share
    cfg = EvalConfig(datasets='suite-shape,suite-size', attacks='pgd,autoattack', epsilons='2', steps=2, aa_steps=2, n=14).validate()
    measured, *rest = evaluate_images(load_model('embedded'), cfg, 'suite-size', load_dataset('suite-size', 'test'), images, None)
    _write_shard(_shard_path(two, 'suite-size', 1, 2), measured.assign(correct=True), *rest)   # marked: every image right
    assert _evaluate(tmp_path, 'two', TWO) == two   # the same folder, continued
    size = pd.read_csv(two / 'results.csv').query("dataset == 'suite-size'")
    # process 1's planted shard is in the merged counts: read, not measured again
    assert (size.correct >= len(images)).all(), size
    assert len(pd.read_parquet(two / 'outcomes.parquet').query("dataset == 'suite-size'")) == len(outcomes.query("dataset == 'suite-size'"))
