"""The training loop under torchrun: 2 CPU processes (gloo) end where 1 process ends, within float tolerance."""
import os, subprocess, sys

from saft_nb.loading import load_model
from saft_nb.models import load_clip_file

# SGD: its update is linear in the averaged gradient, so float-level differences stay float-level (AdamW divides by
# the root of tiny second moments early on, which magnifies them)
ARGS = ['--method', 'tecoa', '--epochs', '1', '--train-n', '96', '--batch-size', '32', '--val-n', '16',
        '--val-attack-steps', '1', '--warmup-steps', '1', '--optimizer', 'sgd', '--lr', '0.01', '--device', 'cpu']


def _train(tmp_path, name, launcher):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    env.pop('IN_TEST', None)
    cmd = [sys.executable, *launcher, '-m', 'saft_nb.train', *ARGS, '--out', str(tmp_path), '--name', name]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return load_clip_file(tmp_path / name / 'final.safetensors').model.visual.state_dict()


def test_two_processes_match_one(tmp_path):
    one = _train(tmp_path, 'one', [])
    two = _train(tmp_path, 'two', ['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29533'])
    start = load_model('embedded').model.visual.state_dict()
    update = max((one[k] - start[k]).abs().max().item() for k in one)   # how far 3 steps moved the weights
    apart = max((one[k] - two[k]).abs().max().item() for k in one)      # how far the two runs ended apart
    print(f"largest weight change {update:.2e}; largest 1- vs 2-process difference {apart:.2e}")
    assert update > 1e-4, 'training did not change the weights'
    assert apart < 1e-3 * update, (apart, update)
