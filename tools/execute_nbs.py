"""Execute notebooks in place, so that `nbs/` carries the outputs the docs show.

nbdev renders the outputs saved in the notebooks (Quarto does not execute them, nor does `tools/build_docs.py`), so
a notebook's outputs are part of its source. Each executed notebook records the SHA-256 of its code cells in its
metadata; `--check` fails when a notebook's code changed after its outputs were made.

    python tools/execute_nbs.py                        # every notebook whose outputs are missing or stale
    python tools/execute_nbs.py nbs/04_attacks.ipynb   # these, whatever their state
    python tools/execute_nbs.py --check                # exit 1 if any notebook's outputs are stale
    python tools/execute_nbs.py nbs/results.ipynb --outputs-from runs/results.ipynb
    python tools/execute_nbs.py nbs/results.ipynb --carry-outputs HEAD   # code changed in ways that compute the same

Module notebooks run in-process with execnb, as `nbdev_test` runs them (cells marked `#| eval: false` or with a
`tst_flags` flag are skipped). Experiment notebooks (those with a papermill `parameters` cell) run under papermill
with the parameters in `EXPERIMENTS`, which a note on the page states.
`pretrain.ipynb`, `calibration.ipynb`, `sweep.ipynb`, `results.ipynb` and `claims.ipynb` take minutes to over an hour, or read a
run that a fresh checkout does not have: their outputs are adopted from the executed copies of the runs that made the shipped
weights, the sweep, the results table and the claims board (`--outputs-from` checks that the code is the same).
When such a notebook's code changes without changing what it computes (a function imported from its new module, a
new parameter that defaults to None), `--carry-outputs REV` keeps the outputs of its version at the git revision
REV; `same_computation` says exactly which changes count as that, and anything else must be run again.
"""
import argparse, ast, hashlib, json, os, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
# experiment notebook -> (working directory, papermill parameters) for the docs' run; None: adopt a real run's outputs
EXPERIMENTS = {
    'train.ipynb': (ROOT, {'method': 'saft', 'run_dir': 'runs/docs/saft'}),
    'evaluate.ipynb': (ROOT, {'run': 'runs/docs/saft', 'n': 200, 'epsilons': '4', 'aa_steps': 10}),
    'explore.ipynb': (NBS, {'runs_folder': '../runs/docs'}),   # JupyterLab runs it from nbs/; the docs' SAFT run (train.ipynb's)
    'leaderboard.ipynb': (ROOT, {'models': 'embedded,runs/docs/saft,runs/docs/saft + clipure-cos', 'attacks': 'pgd', 'epsilons': '4', 'n': 200,
                                 'out': 'runs/docs/leaderboard'}),   # a defended entry too: ranked by its adaptive number
    'test_time_defenses.ipynb': (ROOT, {'out': 'runs/docs/defenses'}),   # its own run: figures/defenses.md, shown in the README
    'pretrain.ipynb': None,
    'calibration.ipynb': None,
    'sweep.ipynb': None,
    'results.ipynb': None,
    'claims.ipynb': None,
    'premises.ipynb': (ROOT, {}),   # its own run: figures/premises.md and premises.json, shown in the README
}
SKIPPED = re.compile(r'^#\|\s*(eval:\s*false|notest)\b', re.M)


def _read(path: Path) -> dict: return json.loads(path.read_text(encoding='utf-8'))
def _write(path: Path, nb: dict): path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')


def code_cells(nb: dict) -> list:
    "The code cells that the notebook's author wrote (papermill's injected parameters are not part of the source)."
    return [c for c in nb['cells'] if c['cell_type'] == 'code' and not _tagged(c, 'injected-parameters')]


def code_sha256(nb: dict) -> str:
    return hashlib.sha256('\n\0'.join(''.join(c['source']) for c in code_cells(nb)).encode()).hexdigest()


def is_stale(path: Path) -> bool:
    nb = _read(path)
    return nb.get('metadata', {}).get('saft_nb', {}).get('code_sha256') != code_sha256(nb)


def _stamp(path: Path):
    nb = _read(path)
    nb.setdefault('metadata', {})['saft_nb'] = {'code_sha256': code_sha256(nb)}
    _write(path, nb)


def run_module_notebook(path: Path):
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    nb = read_nb(path)
    shell = CaptureShell(path, mpl_format='png')
    skip = lambda cell: cell.cell_type != 'code' or bool(SKIPPED.search(cell.source))
    cwd = os.getcwd(); os.chdir(path.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=skip)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=path) + '\n'); raise SystemExit(f'{path.name} failed; its file is unchanged.')
    finally: os.chdir(cwd)
    write_nb(nb, path)


NOTE_TAG = 'run-parameters'


def _tagged(cell: dict, tag: str) -> bool: return tag in cell.get('metadata', {}).get('tags', [])


def _note_parameters(nb: dict, command: str, suffix: str = ''):
    """Replace papermill's injected-parameters cell by a markdown note with the command that made the outputs.
    A code cell would be run again by the next papermill call without `-p` (or in JupyterLab) with the docs' values."""
    nb['cells'] = [c for c in nb['cells'] if not _tagged(c, NOTE_TAG)]
    cells = nb['cells']
    injected = next((i for i, c in enumerate(cells) if _tagged(c, 'injected-parameters')), None)
    flags = ''
    if injected is not None:
        for name, value in re.findall(r'^(\w+) = (.+)$', ''.join(cells[injected]['source']), re.M):
            value = ast.literal_eval(value)
            flags += f' -p {name} {value}'
        del cells[injected]
    at = next((i + 1 for i, c in enumerate(cells) if _tagged(c, 'parameters')), 0)
    cells.insert(at, {'cell_type': 'markdown', 'id': NOTE_TAG, 'metadata': {'tags': [NOTE_TAG]},
                      'source': [f'The outputs on this page come from `{command.format(flags=flags)}`{suffix}.']})


def run_experiment(path: Path, cwd: Path, parameters: dict):
    import papermill as pm
    nb = _read(path)
    nb['cells'] = [c for c in nb['cells'] if not _tagged(c, NOTE_TAG)]
    _write(path, nb)
    if 'run_dir' in parameters: shutil.rmtree(cwd / parameters['run_dir'], ignore_errors=True)   # train anew, no resume
    pm.execute_notebook(str(path), str(path), parameters=parameters, cwd=str(cwd), kernel_name='python3',
                        progress_bar=False)
    nb = _read(path)
    nb.get('metadata', {}).pop('widgets', None)   # no widget state in git: the pages show widgets as their saved figures
    where = '' if cwd == ROOT else f'cd {cwd.relative_to(ROOT)} && '
    _note_parameters(nb, where + f'papermill {path.name if where else "nbs/" + path.name} OUT.ipynb{{flags}}',
                     ', run by `tools/execute_nbs.py`')
    _write(path, nb)


def _parameters(cell: str) -> dict:
    "A parameters cell's assignments, name -> value as Python source (annotations and comments left out)."
    return {node.targets[0].id if isinstance(node, ast.Assign) else node.target.id: ast.unparse(node.value)
            for node in ast.parse(cell).body if isinstance(node, (ast.Assign, ast.AnnAssign))}


def _computing(cell: str, new_none: set) -> str:
    """A cell's statements without its imports and without calls whose every argument is a parameter that is new and
    None (a function handed only missing options, such as load_extensions(plugins, datasets_dir))."""
    def passes_only_new(node):
        call = node.value if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) else None
        args = call and call.args + [k.value for k in call.keywords]
        return bool(args) and all(isinstance(a, ast.Name) and a.id in new_none for a in args)
    body = [n for n in ast.parse(cell).body if not isinstance(n, (ast.Import, ast.ImportFrom)) and not passes_only_new(n)]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def same_computation(old: dict, new: dict) -> str | None:
    """None when the notebook `new` computes what `old` did, else the first difference: the same code cells after
    leaving out import statements (where a function is imported from changes nothing it computes, and the names
    imported must be used the same way, which the rest of the cells check); the same parameters with the same values,
    plus new ones whose value is None; and calls that pass nothing but those new parameters."""
    a, b = code_cells(old), code_cells(new)
    if len(a) != len(b): return f'{len(a)} code cells there, {len(b)} here'
    params_old = next((_parameters(''.join(c['source'])) for c in a if _tagged(c, 'parameters')), {})
    params_new = next((_parameters(''.join(c['source'])) for c in b if _tagged(c, 'parameters')), {})
    changed = {k for k in params_old if params_new.get(k) != params_old[k]}
    if changed: return f'parameters {sorted(changed)} differ'
    added = {k: v for k, v in params_new.items() if k not in params_old}
    if any(v != 'None' for v in added.values()): return f'new parameters with values other than None: {added}'
    for i, (x, y) in enumerate(zip(a, b)):
        if _tagged(x, 'parameters'): continue
        if _computing(''.join(x['source']), set()) != _computing(''.join(y['source']), set(added)):
            return f'code cell {i} computes something else'
    return None


def carry_outputs(path: Path, revision: str):
    "Keep the outputs of `path` as committed at `revision`, if its code computes the same (`same_computation`)."
    import subprocess
    relative = path.relative_to(ROOT).as_posix()
    text = subprocess.run(['git', 'show', f'{revision}:{relative}'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    old, nb = json.loads(text), _read(path)
    why = same_computation(old, nb)
    if why: raise SystemExit(f'{path.name} computes something else than at {revision} ({why}): run it again instead.')
    for cell, ran in zip(code_cells(nb), code_cells(old)):
        cell['outputs'], cell['execution_count'] = ran.get('outputs', []), None
    nb['cells'] = [c for c in nb['cells'] if not _tagged(c, NOTE_TAG)]
    notes = [c for c in old['cells'] if _tagged(c, NOTE_TAG)]
    at = next((i + 1 for i, c in enumerate(nb['cells']) if _tagged(c, 'parameters')), 0)
    nb['cells'][at:at] = notes
    _write(path, nb)


def adopt_outputs(path: Path, executed: Path, command: str):
    "Copy the outputs of an executed copy whose code is the same; its parameters become the page's note."
    nb, run = _read(path), _read(executed)
    if code_sha256(nb) != code_sha256(run):
        raise SystemExit(f'{executed} was executed from other code than {path}: run the notebook again instead.')
    nb['cells'] = [c for c in nb['cells'] if not _tagged(c, NOTE_TAG)]
    for cell, ran in zip(code_cells(nb), code_cells(run)):
        cell['outputs'], cell['execution_count'] = ran.get('outputs', []), None
    injected = [c for c in run['cells'] if _tagged(c, 'injected-parameters')]
    if injected: nb['cells'].insert(0, injected[0])
    _note_parameters(nb, command)
    _write(path, nb)


def execute(path: Path):
    print(f'executing {path.relative_to(ROOT)}', flush=True)
    if path.name in EXPERIMENTS:
        if EXPERIMENTS[path.name] is None:
            raise SystemExit(f'{path.name} is not run for the docs: adopt a real run with --outputs-from RUN.ipynb.')
        run_experiment(path, *EXPERIMENTS[path.name])
    else: run_module_notebook(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('notebooks', nargs='*', type=Path)
    parser.add_argument('--check', action='store_true', help='list notebooks whose outputs are stale and exit 1 if any')
    parser.add_argument('--outputs-from', type=Path, help='an executed copy of the one notebook given')
    parser.add_argument('--carry-outputs', metavar='REV', help="keep the outputs of the notebooks' versions at the git revision REV, "
                        'where their code computes the same (see same_computation)')
    args = parser.parse_args()
    # module notebooks first, then the experiments in the order of EXPERIMENTS (evaluate reads train's run)
    order = lambda p: (p.name in EXPERIMENTS, list(EXPERIMENTS).index(p.name) if p.name in EXPERIMENTS else p.name)
    notebooks = sorted([p.resolve() for p in args.notebooks] or NBS.glob('*.ipynb'), key=order)
    if args.check:
        stale = [p.name for p in notebooks if is_stale(p)]
        if stale: raise SystemExit('Outputs made from older code (run tools/execute_nbs.py on them): ' + ', '.join(stale))
        return print(f'{len(notebooks)} notebooks: outputs match their code.')
    if args.outputs_from:
        if len(notebooks) != 1: raise SystemExit('--outputs-from takes exactly one notebook.')
        command = f'papermill nbs/{notebooks[0].name} {args.outputs_from}{{flags}}'
        adopt_outputs(notebooks[0], args.outputs_from, command); _stamp(notebooks[0])
    elif args.carry_outputs:
        if not args.notebooks: raise SystemExit('--carry-outputs takes the notebooks to carry.')
        for path in notebooks: carry_outputs(path, args.carry_outputs); _stamp(path)
    else:
        if not args.notebooks: notebooks = [p for p in notebooks if is_stale(p)]
        for path in notebooks: execute(path); _stamp(path)
    from nbdev.clean import nbdev_clean
    os.chdir(ROOT); nbdev_clean.__wrapped__()   # strips what execution adds, keeps outputs and the stamp


if __name__ == '__main__':
    main()
