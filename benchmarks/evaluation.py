"""Evaluation cost on the suite protocol: the worst case in cascade mode against every attack on every image, and 2 processes against 1.

    python benchmarks/evaluation.py                     # the suite protocol as it stands: 10 datasets x 1000 images
    python benchmarks/evaluation.py --n 40 --datasets suite-shape,suite-color
    python benchmarks/evaluation.py --only processes --procs-n 200 --threads 8

Part 1 evaluates the embedded model in this process under the suite protocol (pgd, cw, autoattack as APGD-CE then
APGD-T, ensemble, superclass, at the suite's epsilons) twice: in per-attack mode (every attack on every image, the
papers' tables) and in cascade mode (each next attack only on the images still standing). It prints both wall times
and their ratio against the target of saft-nb issue #28 (cascade at most 0.5x), and checks that the per-image worst
case (each image's outcome and the attack that broke it first) is identical. A tiny evaluation runs first, untimed,
so that neither mode pays the first call's start-up.
Part 2 runs the same evaluation on fewer images (`--procs-n`, per-attack mode) as `python -m saft_nb.evaluate`
subprocesses: once alone with T threads, once under `torchrun --standalone --nproc_per_node 2` with T/2 threads per
process (T: `--threads`, the machine's cores by default), so that both use T threads in all. It prints images per
second over the whole command, and over the evaluation alone (from the CLI's call to its return on the first process:
model loading included, the interpreter's imports not), and checks that both folders' outcomes.parquet are equal.
Not a test: it prints times and ratios; it exits non-zero with a sentence only when outcomes differ or a run fails.
Everything is written to a temporary folder that is deleted at the end, unless `--out` is given.
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path

import pandas as pd
import torch

from saft_nb.evaluate import EvalConfig, evaluate, read_outcomes

WORST = ['dataset', 'eps', 'target', 'image', 'correct', 'broken_by']   # one image's worst case, whatever the mode


def worst_case(rows: pd.DataFrame) -> pd.DataFrame:
    "The per-image worst-case outcomes behind evaluation `rows`, in one order."
    o = read_outcomes(rows)
    return o[o.attack == 'worst-case'][WORST].sort_values(WORST[:4]).reset_index(drop=True)


def differing(a: pd.DataFrame, b: pd.DataFrame) -> int:
    "How many rows of two outcome tables of the same images differ (all of them when their shapes differ)."
    if a.shape != b.shape or list(a.columns) != list(b.columns): return max(len(a), len(b))
    return int((a.astype(str) != b.astype(str)).any(axis=1).sum())


def fail(message: str):
    sys.exit(f"error: {message}")


def modes(args, out: Path) -> dict:
    "Part 1: per-attack and cascade mode in this process; their wall times, attack seconds and whether the worst cases agree."
    shrink = dict(datasets=args.datasets, n=args.n, steps=args.steps, aa_steps=args.aa_steps, epsilons=args.epsilons)
    given = {k: v for k, v in shrink.items() if v is not None}   # the rest is the suite protocol's
    resolved = EvalConfig(protocol='suite', **given).validate()
    evaluate('embedded', EvalConfig(protocol='suite', datasets=resolved.datasets[0], n=2, attacks='pgd', steps=1, epsilons=resolved.epsilons[0]),
             progress=False)   # warm-up, untimed
    print(f"## Part 1: cascade against per-attack, in this process ({torch.get_num_threads()} torch threads)")
    print(f"embedded model, suite protocol: {len(resolved.datasets)} datasets ({', '.join(resolved.datasets)}), "
          f"n {resolved.n if resolved.n is not None else 'all'} per dataset, attacks {', '.join(resolved.attacks)} "
          f"(autoattack: {'+'.join(resolved.aa_components)}), epsilons {', '.join(f'{e:g}' for e in resolved.epsilons)}/255, "
          f"steps {resolved.steps}, aa_steps {resolved.aa_steps}, batch {resolved.batch_size}")
    runs = {}
    for mode in ('per-attack', 'cascade'):
        t0 = time.perf_counter()
        rows = evaluate('embedded', EvalConfig(protocol='suite', mode=mode, **given), progress=False, out=out, name=mode)
        wall = time.perf_counter() - t0
        attack_seconds = rows[rows.attack == 'worst-case'].seconds.sum()   # every attack at every epsilon, no loading
        runs[mode] = dict(wall=wall, attacks=attack_seconds, worst=worst_case(rows), folder=rows.attrs['folder'])
        print(f"{mode:>10s}: {wall:8.1f} s wall, {attack_seconds:8.1f} s attacking   ({rows.attrs['folder']})")
        for s in rows.attrs['skipped']: print(f"            skipped {s}")
    per, cas = runs['per-attack'], runs['cascade']
    wrong = differing(per['worst'], cas['worst'])
    if wrong:
        fail(f"{wrong} of {len(per['worst'])} per-image worst-case outcomes differ between per-attack mode ({per['folder']}) "
             f"and cascade mode ({cas['folder']}): the cascade must give the same worst case, so report this as a bug.")
    ratio = cas['wall'] / per['wall']
    print(f"cascade / per-attack: {ratio:.2f}x wall, {cas['attacks'] / per['attacks']:.2f}x attacking; "
          f"the {len(per['worst'])} per-image worst-case outcomes are identical")
    print(f"target of issue #28 (at most 0.50x wall): {'met' if ratio <= 0.5 else 'NOT met'}")
    return dict(runs, ratio=ratio, outcomes=len(per['worst']), config=resolved)


# `saft_nb.evaluate`'s command line, which also prints the seconds from its start to its end after the imports (rank 0)
TIMED_CLI = ("import os, sys, time; from saft_nb.evaluate import cli; t0 = time.perf_counter(); cli(sys.argv[1:]); "
             "os.environ.get('RANK', '0') == '0' and print(f'evaluation seconds: {time.perf_counter() - t0:.3f}')")


def command(two: bool, args, n: int, out: Path, name: str) -> list[str]:
    "The command line of part 2: `saft_nb.evaluate` timed (`TIMED_CLI`), alone or under torchrun with 2 processes."
    run = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--no-python'] if two else []
    options = ['--protocol', 'suite', '--mode', 'per-attack', '--n-images', str(n), '--out', str(out), '--name', name]
    for flag, value in (('--datasets', args.datasets), ('--steps', args.steps), ('--aa-steps', args.aa_steps), ('--epsilons', args.epsilons)):
        if value is not None: options += [flag, str(value)]
    return run + [sys.executable, '-c', TIMED_CLI, 'embedded'] + options


def processes(args, out: Path) -> dict:
    "Part 2: one process with T threads against 2 torchrun processes with T/2 each; images per second and equal outcomes."
    n = args.procs_n if args.n is None else min(args.procs_n, args.n)
    per_process = args.threads // 2
    print(f"\n## Part 2: 2 processes against 1, {n} images per dataset, per-attack mode, {2 * per_process} threads in all")
    runs = {}
    for label, two, threads in (('1 process', False, 2 * per_process), ('2 processes', True, per_process)):
        env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'MKL_NUM_THREADS': str(threads)}   # torch reads them at start
        cmd = command(two, args, n, out, label.replace(' ', '-'))
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode:
            fail(f"{label} ({' '.join(cmd)}) exited with status {done.returncode}; its last output:\n{(done.stdout + done.stderr)[-3000:]}")
        *_, printed, timing = done.stdout.strip().splitlines()   # the CLI prints the results folder, TIMED_CLI its seconds
        folder, evaluating = Path(printed), float(timing.split(':')[1])
        outcomes = pd.read_parquet(folder / 'outcomes.parquet')
        images = len(outcomes[outcomes.attack == 'none'])   # each image once: its clean row
        runs[label] = dict(wall=wall, evaluating=evaluating, images=images, rate=images / wall, outcomes=outcomes, folder=folder, threads=threads)
        print(f"{label:>11s} x {threads} threads: {wall:8.1f} s, {images / wall:7.2f} images/s; "
              f"after the imports {evaluating:8.1f} s, {images / evaluating:7.2f} images/s   ({folder})")
    one, two = runs['1 process'], runs['2 processes']
    wrong = differing(one['outcomes'], two['outcomes'])
    if wrong:
        fail(f"{wrong} of {len(one['outcomes'])} per-image outcomes differ between 1 process ({one['folder']}) and 2 processes "
             f"({two['folder']}): outcomes must not depend on the process count, so report this as a bug.")
    speedup, after_imports = two['rate'] / one['rate'], one['evaluating'] / two['evaluating']
    print(f"2 processes / 1 process: {speedup:.2f}x images per second ({after_imports:.2f}x after the imports); "
          f"outcomes.parquet of both hold the same {len(one['outcomes'])} outcomes")
    if speedup > 2:   # more than 2 processes can give: the threads, not the processes, made the difference
        print(f"above 2x: one process lost more to running {one['threads']} threads than a second process gained; "
              f"OMP_NUM_THREADS={two['threads']} on the single process tells the two apart")
    return dict(runs, speedup=speedup, after_imports=after_imports)


def summary(part1, part2):
    print("\n## Summary")
    print(f"{'run':40s} {'seconds':>9s} {'ratio':>7s}  check")
    if part1:
        print(f"{'per-attack (every attack, every image)':40s} {part1['per-attack']['wall']:9.1f} {'1.00x':>7s}")
        print(f"{'cascade (only the images still standing)':40s} {part1['cascade']['wall']:9.1f} {part1['ratio']:6.2f}x  "
              f"worst case identical ({part1['outcomes']} outcomes); target 0.50x {'met' if part1['ratio'] <= 0.5 else 'NOT met'}")
    if part2:
        for label in ('1 process', '2 processes'):
            r = part2[label]
            name = f"{label} x {r['threads']} threads ({r['rate']:.2f} img/s)"
            print(f"{name:40s} {r['wall']:9.1f} {r['rate'] / part2['1 process']['rate']:6.2f}x"
                  + (f"  outcomes.parquet identical; {part2['after_imports']:.2f}x after the imports" if label == '2 processes' else ''))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog='examples:\n' + __doc__.split('\n\n')[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', choices=['cascade', 'processes'], help='run only part 1 (cascade) or only part 2 (processes)')
    ap.add_argument('--n', type=int, help="images per dataset (default: the suite protocol's 1000)")
    ap.add_argument('--datasets', help="comma-separated datasets (default: the suite protocol's, every suite label space)")
    ap.add_argument('--epsilons', help="comma-separated epsilons in 1/255 units (default: the suite protocol's)")
    ap.add_argument('--steps', type=int, help="PGD, CW, ensemble and superclass steps (default: the suite protocol's 20)")
    ap.add_argument('--aa-steps', type=int, help="APGD iterations of AutoAttack (default: the suite protocol's 100)")
    ap.add_argument('--procs-n', type=int, default=200, help='images per dataset in part 2 (default 200, at most --n)')
    ap.add_argument('--threads', type=int, default=max(2, os.cpu_count() or 2),
                    help='threads in all: part 1 and the single process use T // 2 * 2, each of the 2 processes T // 2 (default: the cores)')
    ap.add_argument('--out', help='keep the evaluation folders under OUT (default: a temporary folder, deleted at the end)')
    args = ap.parse_args()
    for name in ('n', 'steps', 'aa_steps', 'procs_n'):
        if getattr(args, name) is not None and getattr(args, name) < 1: ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.threads < 2: ap.error('--threads must be at least 2: each of the 2 processes needs one')
    if min(args.procs_n, args.n or args.procs_n) < 2 and args.only != 'cascade':
        ap.error('part 2 needs at least 2 images per dataset (--procs-n and --n): each of the 2 processes needs one')
    torch.set_num_threads(args.threads // 2 * 2)
    with tempfile.TemporaryDirectory(prefix='saft-eval-bench-') as tmp:
        out = Path(args.out or tmp)
        part1 = modes(args, out) if args.only != 'processes' else None
        part2 = processes(args, out) if args.only != 'cascade' else None
        summary(part1, part2)


if __name__ == '__main__':
    main()
