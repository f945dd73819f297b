"""Write the papermill parameters cells of the experiment notebooks from the config dataclasses, so that a config
field is added in one place: each field of `TrainConfig` (saft_nb/train.py) or `EvalConfig` (saft_nb/evaluate.py),
with its type, default and the comment after it, becomes a parameter of the notebooks that build that config, with
the comment as its help (`papermill --help-notebook`). The few parameters only a notebook has (where results go,
what to resume, what to rank by) are listed here; `plugins` and `datasets_dir` come from
`saft_nb.train.PLUGIN_PARAMETERS`, which `saft-train` uses too.

    python tools/sync_parameters.py           write every parameters cell that is out of date
    python tools/sync_parameters.py --check   exit 1, naming the first notebook whose cell differs and where

A notebook hands the fields on with `saft_nb.train.config_parameters(TrainConfig, globals())`, so its `given` dict is
not written by hand either. tests/test_schema.py runs the check.
"""
import argparse, json, sys
from dataclasses import MISSING, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
WIDTH = 34   # the comments start in one column, as in a hand-written cell


def _specs() -> dict:
    """Each notebook's parameters, in order: the notebook's own before and after the config's fields, and the fields
    whose notebook type or default differs from the dataclass (a switch that is off, not None, in a notebook)."""
    from saft_nb.evaluate import EvalConfig
    from saft_nb.train import PLUGIN_PARAMETERS, TrainConfig
    plugins = [(name, 'Optional[str]', None, text) for name, text in PLUGIN_PARAMETERS.items()]
    off = {   # off by default in a notebook: the notebook passes `value or None`, so that off is the config's default, not 'given'
        'descriptions_partial': ('bool', False, "run the ensemble attack where only some classes have descriptions (prompt "
                                 "templates for the rest; rows say how many)"),
        'trust_unverified': ('bool', False, "evaluate a zoo model whose weights file does not match the hash in zoo.json (rows record it)"),
    }
    return {
        'train.ipynb': dict(config=TrainConfig, head=plugins, tail=[
            ('dry_run', 'bool', False, "print every resolved value with its source (JSON) and stop: nothing is loaded or written"),
            ('out', 'str', 'runs', "run folders go here (relative to where papermill is started: the repository root)"),
            ('run_dir', 'Optional[str]', None, "an existing run folder to resume"),
            ('test_n', 'int', 1000, "test images for the closing measurement (a seeded stratified sample)")]),
        'evaluate.ipynb': dict(config=EvalConfig, overrides=off, head=[
            ('run', 'Optional[str]', None, "a training run folder to evaluate (its best.safetensors); results are written into it"),
            ('model', 'str', 'embedded', "used when run is None: 'embedded', a checkpoint file, a zoo model (fare2-vitl14), an "
                                         "open_clip hub id (hf-hub:org/name) or architecture"),
            ('pretrained', 'Optional[str]', None, "the architecture's weights: a tag (openai), a local weights file, or 'random'"),
            *plugins], tail=[
            ('dry_run', 'bool', False, "print every resolved value with its source (JSON) and stop"),
            ('out', 'str', 'runs', "where results go when run is None")]),
        'leaderboard.ipynb': dict(config=EvalConfig, overrides=off, head=[
            ('models', 'Optional[str]', None, "comma-separated: zoo names (fare2-vitl14), run folders, checkpoint files, "
                                              "hf-hub:org/name, embedded, ViT-B-32/openai (None: embedded and the runs under runs_folder)"),
            ('runs_folder', 'str', 'runs', "where the training runs are found when models is None (missing or empty: an error)"),
            *plugins], tail=[
            ('dry_run', 'bool', False, "print the models and every resolved protocol value with its source (JSON) and stop"),
            ('attack', 'Optional[str]', None, "the attack the table ranks by (None: worst-case, each image's worst case over the protocol's attacks)"),
            ('eps', 'Optional[float]', None, "the epsilon it ranks by, 1/255 units (None: the first that attack runs at)"),
            ('include_unfinished', 'bool', False, "rank training runs that did not finish too (labelled '(unfinished)'); "
                                                  "otherwise they are left out"),
            ('executor', 'str', 'local', "where each model is evaluated: local (this process) or slurm (a Slurm job per model, "
                                         "through submitit; logs in out/submitit)"),
            ('slurm', 'Optional[str]', None, 'submitit options for slurm, as JSON: {"slurm_partition": "gpu", "gpus_per_node": 1, '
                                             '"timeout_min": 120} (timeout_min is required)'),
            ('out', 'str', 'runs/leaderboard', "one folder per model, leaderboard.csv, rows.csv and the figure")]),
        'sweep.ipynb': dict(config=None, head=[
            ('methods', 'str', 'all', "comma-separated method names, or all (every registered method)"),
            ('lrs', 'str', '1e-4,3e-4,1e-3', "the learning rates every method is trained with, declared before any run"),
            ('beyond', 'str', '1e-5,3e-5,3e-3,1e-2', "further rates, declared before any of them was run: a method whose best rate is the highest "
                                                   "(lowest) it was trained with is trained at the next higher (lower) one of these, until its best is inside or none is left; '': none"),
            ('seed', 'int', 0, "the training seed of every run, and the seed of the validation sample"),
            ('out', 'str', 'runs/sweep', "the runs: out/lr<rate>/<method>/seed<seed>"),
            ('figures', 'str', 'figures', "where sweep.json (read by the results run) and sweep.md go"),
            ('datasets', 'str', 'suite', "the label spaces whose validation splits score a run"),
            ('n', 'int', 300, "validation images per label space"),
            ('steps', 'int', 10, "PGD steps of the robust part of the score"),
            ('workers', 'int', 2, "runs trained and evaluated side by side, each in a process of its own"),
            *plugins]),
        'claims.ipynb': dict(config=None, head=[
            ('results', 'str', 'figures/results.json', "the results run's record (written by nbs/results.ipynb): its runs, epsilons and fine-tuning label space"),
            ('premises', 'str', 'figures/premises.json', "the premises' verdicts (written by nbs/premises.ipynb)"),
            ('figures', 'str', 'figures', "where claims.md (shown in the README) and claims.json go")]),
        'results.ipynb': dict(config=None, head=[
            ('methods', 'str', 'all', "comma-separated method names, or all (every registered method); the original model "
                                      "(none) is always evaluated"),
            ('seeds', 'int', 3, "training seeds per method: 0, 1, 2"),
            ('single_prompt', 'Optional[str]', 'a photo of a {}.', "the one prompt the methods that read the templates are also trained "
                                                                  "with (seed 0), beside the ensemble: the papers train with one prompt; None: not"),
            ('out', 'str', 'runs/results', "training runs and evaluations"),
            ('figures', 'str', 'figures', "where the table and figures go (the README shows them)"),
            ('datasets', 'str', 'suite', "the label spaces evaluated"),
            ('sweep', 'Optional[str]', 'figures/sweep.json', "each method's learning rate as the sweep chose it (nbs/sweep.ipynb), "
                                                             "whose seed-0 runs are reused; None: the recipe's rate for every method"),
            ('premises', 'Optional[str]', 'figures/premises.json', "the premises page's world table: label spaces the original model "
                                                                   "is not breakable on are reported apart from the unseen mean; None: none apart"),
            ('eps', 'Optional[float]', None, "the headline epsilon, 1/255 units; None: saft_nb.suite.TRAIN_EPS, the training one"),
            ('large_eps', 'Optional[float]', None, "the large-epsilon column; None: saft_nb.suite.LARGE_EPS, twice the training one"),
            ('steps', 'int', 20, "PGD steps of every attack"),
            ('n', 'int', 100, "test images per label space (100: the run fits in 90 minutes on 2 CPU cores)"),
            ('workers', 'int', 2, "runs trained and evaluated side by side, each in a process of its own"),
            ('seed', 'int', 0, "seed of the test samples and the attack starts"),
            ('defense', 'Optional[str]', None, "a defense at inference every model is evaluated with, as published and adaptive "
                                               "(saft_nb.defenses.list_defenses()); None: none"),
            *plugins]),
    }


def notebook_type(annotation: str) -> str:
    """A dataclass field's annotation as a papermill parameter's: `Optional[X]` for `X | None` (papermill reads no `|`),
    and for a field that also takes a list or a dict, the plain value a `-p` option gives (text for a list)."""
    parts = [p.strip() for p in annotation.split('|')]
    plain = [p for p in parts if p not in ('None', 'dict') and not p.startswith('list')] or [p for p in parts if p != 'None']
    return f'Optional[{plain[0]}]' if 'None' in parts else plain[0]


def field_parameters(config_class, overrides: dict | None = None) -> list[tuple]:
    "(name, type, default, help) of each field of the dataclass `config_class`, the help being the comment after the field."
    from fastcore.docments import docments
    helps, out = docments(config_class), []
    for f in fields(config_class):
        if f.name in (overrides or {}): out.append((f.name, *overrides[f.name])); continue
        if f.default is MISSING: raise SystemExit(f"{config_class.__name__}.{f.name} has no default: a notebook parameter needs one.")
        if not helps.get(f.name): raise SystemExit(f"{config_class.__name__}.{f.name} has no comment: write what it is after the field.")
        annotation = f.type.__name__ if isinstance(f.type, type) else str(f.type)   # a class, or the text of a later annotation
        out.append((f.name, notebook_type(annotation), f.default, helps[f.name]))
    return out


def render(parameters: list[tuple], made_from: str) -> str:
    "The text of a parameters cell: one `name: type = default  # help` line per parameter, under a line saying where it comes from."
    lines = [f"# written by tools/sync_parameters.py from {made_from}: change them there"]
    names = [p[0] for p in parameters]
    if len(set(names)) != len(names): raise SystemExit(f"Parameters given twice: {sorted({n for n in names if names.count(n) > 1})}.")
    for name, annotation, default, text in parameters:
        if '=' in text or '\n' in text:   # papermill skips a line with two '=' and reads the help from one line
            raise SystemExit(f"The help of {name} ({text!r}) has '=' or a line break, which papermill cannot read.")
        lines.append(f"{f'{name}: {annotation} = {default!r}'.ljust(WIDTH)}  # {text}")
    return '\n'.join(lines)


def expected_cells() -> dict[str, str]:
    "The parameters cell each notebook should have, by notebook file name."
    out = {}
    for notebook, spec in _specs().items():
        config = spec['config']
        fields_ = field_parameters(config, spec.get('overrides')) if config else []
        made_from = (f"{config.__name__}'s fields ({config.__module__.replace('.', '/')}.py) and its own list" if config
                     else "its list of this notebook's parameters")
        out[notebook] = render(spec.get('head', []) + fields_ + spec.get('tail', []), made_from)
    return out


def _parameters_cell(nb: dict, path: Path) -> dict:
    cells = [c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
    if len(cells) != 1: raise SystemExit(f"{path} has {len(cells)} cells tagged 'parameters'; papermill needs exactly one.")
    return cells[0]


def differences(nbs: Path = NBS) -> list[str]:
    "One sentence per notebook under `nbs` whose parameters cell differs from the dataclass, naming the first differing line."
    found = []
    for notebook, text in expected_cells().items():
        path = nbs / notebook
        now = ''.join(_parameters_cell(json.loads(path.read_text(encoding='utf-8')), path)['source'])
        if now == text: continue
        have, want = now.splitlines(), text.splitlines()
        i = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b), min(len(have), len(want)))
        show = lambda lines: repr(lines[i]) if i < len(lines) else '(no line)'
        found.append(f"{path.relative_to(nbs.parent) if nbs.parent in path.parents else path}: its parameters cell is out of date "
                     f"(line {i + 1}: {show(have)} in the notebook, {show(want)} from the schema); "
                     f"run python tools/sync_parameters.py")
    return found


def write(nbs: Path = NBS) -> list[str]:
    "Write every out-of-date parameters cell under `nbs` (outputs and metadata kept); returns the notebooks written."
    written = []
    for notebook, text in expected_cells().items():
        path = nbs / notebook
        nb = json.loads(path.read_text(encoding='utf-8'))
        cell = _parameters_cell(nb, path)
        if ''.join(cell['source']) == text: continue
        cell['source'] = [l + '\n' for l in text.split('\n')[:-1]] + [text.split('\n')[-1]]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
        written.append(notebook)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true', help='write nothing; exit 1 if a parameters cell is out of date')
    parser.add_argument('--nbs', type=Path, default=NBS, help='the notebooks folder (default: nbs/)')
    args = parser.parse_args(argv)
    if args.check:
        found = differences(args.nbs)
        if found: print(found[0], file=sys.stderr); return 1
        print('every parameters cell matches its config'); return 0
    written = write(args.nbs)
    print(f"wrote {', '.join(written)}" if written else 'every parameters cell already matches its config')
    return 0


if __name__ == '__main__':
    sys.exit(main())
