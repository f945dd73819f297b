"""Train a few configs on the suite and print each epoch's validation accuracies and the wall time.

    python benchmarks/train_grid.py '{"method": "tecoa", "epochs": 2}' '{"method": "tecoa", "optimizer": "sgd", "lr": 0.01}'

Each argument is a JSON object of TrainConfig fields. Runs go to a temporary folder; only validation numbers (never
test numbers) are printed, so this is safe to use for choosing defaults.
"""
import json, sys, tempfile, time

from saft_nb.train import TrainConfig, train

if __name__ == '__main__':
    out = tempfile.mkdtemp(prefix='train-grid-')
    for arg in sys.argv[1:]:
        start = time.time()
        run = train(TrainConfig(**json.loads(arg)), out=out, progress=False)
        rows = [json.loads(l) for l in open(run / 'metrics.jsonl') if 'val_robust_acc' in l]
        scores = ', '.join(f"epoch {r['epoch']}: clean {100 * r['val_clean_acc']:.1f} robust {100 * r['val_robust_acc']:.1f}" for r in rows)
        print(f"{arg}  {time.time() - start:.0f} s  {scores}  (n={rows[-1]['val_n']})", flush=True)
