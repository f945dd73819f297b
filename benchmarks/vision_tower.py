"""The lean vision tower (`models.lean_vision_tower`: patch embedding as one matrix product, self-attention without
`nn.MultiheadAttention`'s copies) against open_clip's own forward, on the same weights and batches in one process.

    python benchmarks/vision_tower.py                 # the embedded model, 1 thread (as run_grid's workers run)
    python benchmarks/vision_tower.py --threads 2 --rounds 5

Workloads: the evaluation attack's step (forward and input gradient, 250 images, as evaluate's batches) and a TeCoA
training step of the suite's recipe (PGD-2 at TRAIN_EPS on the 960 scene classes, backward, AdamW; 64 images).
The two routes alternate for `--rounds` rounds and the median is printed, so that a busy machine slows both alike.
Not a test: it prints images per second and the ratios.
"""
import argparse, statistics, time

import torch

from saft_nb.attacks import random_start
from saft_nb.data import get_spec, load_dataset
from saft_nb.loading import load_model
from saft_nb.models import open_clip_vision_tower
from saft_nb.train import TrainConfig, adversarial_loss, prepare_training


def attack_step(cm, x):
    def step():
        x_adv = x.clone().requires_grad_(True)
        torch.autograd.grad(cm.model.encode_image(x_adv).square().sum(), x_adv)
    return step


def training_step(cm, x, y):
    cfg = TrainConfig(method='tecoa', recipe='suite').validate()
    method, attack, spec = cfg.build_method(), cfg.training_attack(), get_spec(cfg.dataset)
    ctx, params, loss_module = prepare_training(method, cm, spec, None, cfg.templates(spec))
    opt = torch.optim.AdamW(params, lr=1e-6)
    def step():
        loss, _ = adversarial_loss(method, ctx, loss_module, attack, x, y, random_start(x, attack.eps01, attack.norm), False)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step


def seconds(step, reps: int) -> float:
    step()   # warm-up
    t0 = time.perf_counter()
    for _ in range(reps): step()
    return (time.perf_counter() - t0) / reps


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--threads', type=int, default=1); p.add_argument('--rounds', type=int, default=3); p.add_argument('--reps', type=int, default=4)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ds = load_dataset('suite-scene', 'train')
    x = torch.stack([ds[i][0] for i in range(250)]); y = torch.tensor([ds[i][1] for i in range(250)])
    lean, stock = load_model('embedded'), load_model('embedded')
    open_clip_vision_tower(stock.model)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.rounds} alternating rounds of {args.reps} steps")
    print(f"| workload | open_clip img/s | lean img/s | ratio |\n|---|---|---|---|")
    for name, make, n in [('attack step: forward + input gradient, 250 images', lambda cm: attack_step(cm, x), 250),
                          ('TeCoA training step (suite recipe), 64 images', lambda cm: training_step(cm, x[:64], y[:64]), 64)]:
        steps = {'open_clip': make(stock), 'lean': make(lean)}
        times = {k: [] for k in steps}
        for _ in range(args.rounds):
            for k, step in steps.items(): times[k].append(seconds(step, args.reps))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {name} | {n / med['open_clip']:.1f} | {n / med['lean']:.1f} | {med['open_clip'] / med['lean']:.2f}x |", flush=True)


if __name__ == '__main__':
    main()
