"""Training tried adversarially, the way a security-minded user and a busy lab would: a checkpoint that carries code,
two writers of one run folder, the installed console script's exit status, and bad input that must stop with one
sentence before any training (nothing left behind), on a TinyImageNet laid out on disk with the embedded model."""
import json, os, subprocess, sys
from pathlib import Path

import numpy as np
import papermill as pm
import pytest
import torch
from PIL import Image

from notebook_runs import execute
from saft_nb.core import FolderLock

WNIDS = {'n01443537': 'goldfish, Carassius auratus', 'n02123045': 'tabby, tabby cat', 'n04562935': 'water tower'}
SHORT = ['--method', 'tecoa', '--epochs', '1', '--train-n', '24', '--batch-size', '12', '--val-n', '12', '--val-attack-steps', '1']


@pytest.fixture(autouse=True)
def not_under_nbdev_test(monkeypatch):
    "nbdev's notebook runner sets IN_TEST in this process; papermill runs must not inherit its smoke-test mode."
    monkeypatch.delenv('IN_TEST', raising=False)


def saft_train(*args, cwd=None):
    "The installed console script, as a shell or a job scheduler runs it."
    script = Path(sys.executable).with_name('saft-train')
    return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture
def root(tmp_path):
    "TinyImageNet's official layout with a few 64 px images per class: train/<wnid>/images, val/<wnid>."
    tiny = tmp_path / 'data' / 'tinyimagenet'
    tiny.mkdir(parents=True)
    (tiny / 'words.txt').write_text(''.join(f'{w}\t{names}\n' for w, names in WNIDS.items()))
    rng = np.random.default_rng(0)
    for wnid in WNIDS:
        for folder, n in ((tiny / 'train' / wnid / 'images', 16), (tiny / 'val' / wnid, 4)):
            folder.mkdir(parents=True)
            for i in range(n): Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f'{i}.JPEG')
    return tmp_path / 'data'


def truncate(image: Path) -> Path:
    image.write_bytes(image.read_bytes()[:200])   # what an interrupted download leaves
    return image


class Payload:
    "Unpickling this creates a file: the stand-in for code hidden in a downloaded checkpoint."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (Path.touch, (Path(self.marker),))


def test_the_console_script_exits_0_on_success_and_1_with_one_sentence(tmp_path):
    done = saft_train(*SHORT, '--out', tmp_path / 'runs')
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(tmp_path / 'runs' / 'tecoa') and str(tmp_path) not in done.stderr
    wrong = saft_train('--method', 'tecao', '--out', tmp_path / 'runs')
    assert wrong.returncode == 1 and wrong.stderr.startswith("error: Unknown method 'tecao'") and len(wrong.stderr.splitlines()) == 1
    switch = saft_train('--bf16', 'maybe')
    assert switch.returncode == 2 and switch.stderr == "saft-train: error: argument --bf16: expected true or false, got 'maybe'; saft-train --help lists the options.\n"


def test_a_checkpoint_that_carries_code_runs_nothing(tmp_path):
    marker, run = tmp_path / 'payload-ran', tmp_path / 'shared-run'
    run.mkdir()
    torch.save({'model': {}, 'epoch': 0, 'step': 0, 'best': 0.0, 'payload': Payload(marker)}, run / 'checkpoint.pt')
    refused = saft_train(*SHORT, '--run-dir', run)
    assert refused.returncode == 1 and 'holds pickled Python objects besides weights' in refused.stderr
    with pytest.raises(pm.PapermillExecutionError, match='holds pickled Python objects besides weights'):
        execute(tmp_path, 'train.ipynb', method='tecoa', epochs=1, train_n=24, batch_size=12, val_n=12, run_dir=str(run))
    assert not marker.exists()


def test_two_writers_cannot_share_a_run_folder(tmp_path):
    "This process holds the folder, as a running training would; the console script started beside it stops at once."
    run = tmp_path / 'run'
    with FolderLock(run, 'run folder'):
        second = saft_train(*SHORT, '--run-dir', run)
    assert second.returncode == 1
    assert second.stderr.startswith(f"error: The run folder {run} is being written by process {os.getpid()} on"), second.stderr
    assert sorted(p.name for p in run.iterdir()) == ['.lock']   # the second writer wrote nothing


@pytest.mark.parametrize('parameters, message', [
    (dict(test_n='abc'), "test_n must be an integer, got 'abc'"),
    (dict(test_n=0), 'test_n must be in [1, inf], got 0'),
    (dict(device='foo'), "device 'foo' is not a device torch knows"),
    (dict(out='A_FILE'), 'is a file, not a folder'),
    (dict(corrupt='train/n02123045/images/1.JPEG'), 'cannot be used'),
    (dict(corrupt='val/n02123045/1.JPEG'), 'cannot be used'),   # val/ is the test split that the closing cells measure
] + ([] if torch.cuda.is_available() else [(dict(device='cuda'), 'torch sees no CUDA GPU on this machine')]))
def test_bad_input_stops_before_training_with_one_sentence_and_leaves_nothing(tmp_path, root, parameters, message):
    parameters, out = dict(parameters), tmp_path / 'runs'
    if parameters.get('out') == 'A_FILE':
        out = tmp_path / 'a-file'; out.write_text('not a folder'); parameters.pop('out')
    bad = truncate(root / 'tinyimagenet' / parameters.pop('corrupt')) if 'corrupt' in parameters else None
    with pytest.raises(pm.PapermillExecutionError, match=message.replace('[', r'\[').replace('(', r'\(')) as stopped:
        execute(tmp_path, 'train.ipynb', method='tecoa', dataset='tinyimagenet', root=str(root), epochs=1, train_n=24,
                batch_size=12, val_n=6, out=str(out), **parameters)
    assert len(stopped.value.traceback) == 1                        # the sentence alone, no library frames
    if bad is not None: assert str(bad) in stopped.value.evalue      # the image is named by its path
    assert not out.is_dir() or not any(out.iterdir())               # no run folder, not even one with a config.json


def test_skip_bad_images_trains_without_them_and_records_which(tmp_path, root):
    bad = truncate(root / 'tinyimagenet' / 'train' / 'n02123045' / 'images' / '3.JPEG')
    execute(tmp_path, 'train.ipynb', method='tecoa', dataset='tinyimagenet', root=str(root), epochs=1, train_n=24, batch_size=12,
            val_n=6, test_n=6, skip_bad_images=True, out=str(tmp_path / 'runs'))
    config = json.loads((tmp_path / 'runs' / 'tecoa' / 'config.json').read_text())
    assert config['skip_bad_images'] is True and config['sources']['skip_bad_images'] == 'given'
    assert config['resolved']['skipped_images'] == [str(bad)]


def test_a_full_disk_is_one_sentence_and_leaves_nothing(tmp_path):
    "A real full disk (a 3 MiB tmpfs) under both writers of a run's big files: safetensors' and torch's."
    from saft_nb.core import SaftError
    from saft_nb.loading import load_model
    from saft_nb.models import save_clip
    from saft_nb.train import _save_checkpoint
    disk = tmp_path / 'small'
    disk.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', str(disk)], capture_output=True).returncode:
        pytest.skip('mounting a small tmpfs needs root')
    try:
        full = f'The disk holding {disk} is full, so'
        with pytest.raises(SaftError, match=full): save_clip(load_model(), disk / 'best.safetensors')
        with pytest.raises(SaftError, match=full): _save_checkpoint(disk / 'checkpoint.pt', {'model': load_model().model.state_dict()})
        assert list(disk.iterdir()) == []   # no partial temporary file takes the space
    finally:
        subprocess.run(['umount', str(disk)])
