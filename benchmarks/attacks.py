"""Attack throughput on the embedded model, in image-steps per second (one step = one forward and backward).

    python benchmarks/attacks.py [--batch 256] [--steps 20] [--threads 2]

Prints the throughput of PGD with the cross-entropy and the K-member semantic-ensemble objectives, and each one's
ratio to plain forward+backward passes of the image encoder: the floor that cached text features make possible.
"""
import argparse, time

import torch

from saft_nb.attacks import CrossEntropy, EnsembleCrossEntropy, pgd
from saft_nb.data import load_dataset
from saft_nb.loading import load_model
from saft_nb.models import ZeroShotClassifier


def timed(fn, repeats=2):
    fn()  # warm-up
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=256); ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--threads', type=int, default=0)
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    cm = load_model()
    ds = load_dataset('suite-shape')
    x = torch.stack([ds[i][0] for i in range(args.batch)]); y = torch.tensor([ds[i][1] for i in range(args.batch)])
    clf = ZeroShotClassifier.from_dataset(cm, ds.spec)
    n = args.batch * args.steps

    def floor():
        for _ in range(args.steps):
            xa = x.clone().requires_grad_(True)
            torch.autograd.grad(clf(xa).sum(), xa)
    rows = {'forward+backward only (floor)': timed(floor)}
    # track_best=False: every sample is attacked for every step, so the count of image-steps is exact
    rows['PGD, cross-entropy'] = timed(lambda: pgd(CrossEntropy(clf, y), x, 1 / 255, args.steps, 0.25 / 255,
                                                   track_best=False, model=cm.model))
    rows[f'PGD, semantic ensemble (K={len(ds.templates)})'] = timed(
        lambda: pgd(EnsembleCrossEntropy(clf, y), x, 1 / 255, args.steps, 0.25 / 255, track_best=False, model=cm.model))
    print(f"embedded model, batch {args.batch}, {args.steps} steps, {torch.get_num_threads()} threads")
    base = rows['forward+backward only (floor)']
    for name, seconds in rows.items():
        print(f"{name:45s} {n / seconds:9.0f} image-steps/s   {base / seconds:5.2f}x of the floor")


if __name__ == '__main__':
    main()
