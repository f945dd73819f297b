"""Execute notebooks in place, so that `nbs/` carries the outputs the docs show.

nbdev renders the outputs saved in the notebooks (Quarto does not execute them, nor does `tools/build_docs.py`), so
a notebook's outputs are part of its source. Each executed notebook records the SHA-256 of its code cells in its
metadata; `--check` fails when a notebook's code changed after its outputs were made.

    python tools/execute_nbs.py                        # every notebook whose outputs are missing or stale
    python tools/execute_nbs.py nbs/04_attacks.ipynb   # these, whatever their state
    python tools/execute_nbs.py --check                # exit 1 if any notebook's outputs are stale
    python tools/execute_nbs.py nbs/results.ipynb --outputs-from runs/results.ipynb

Module notebooks run in-process with execnb, as `nbdev_test` runs them (cells marked `#| eval: false` or with a
`tst_flags` flag are skipped). Experiment notebooks (those with a papermill `parameters` cell) run under papermill
with the parameters in `EXPERIMENTS`, which a note on the page states.
`pretrain.ipynb`, `calibration.ipynb` and `results.ipynb` take 15, 16 and 74 minutes: their outputs are adopted from the executed copies of
the runs that made the shipped weights and the results table (`--outputs-from` checks that the code is the same).
"""
import argparse, ast, hashlib, json, os, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
# experiment notebook -> (working directory, papermill parameters) for the docs' run; None: adopt a real run's outputs
EXPERIMENTS = {
    'train.ipynb': (ROOT, {'method': 'saft', 'run_dir': 'runs/docs/saft'}),
    'evaluate.ipynb': (ROOT, {'run': 'runs/docs/saft', 'n': 200, 'epsilons': '8', 'aa_steps': 10}),
    'explore.ipynb': (NBS, {'runs_folder': '../runs/results'}),   # JupyterLab runs it from nbs/
    'leaderboard.ipynb': (ROOT, {'runs_folder': 'runs/docs', 'attacks': 'pgd', 'epsilons': '8', 'n': 200, 'out': 'runs/docs/leaderboard'}),
    'pretrain.ipynb': None,
    'calibration.ipynb': None,
    'results.ipynb': None,
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
    where = '' if cwd == ROOT else f'cd {cwd.relative_to(ROOT)} && '
    _note_parameters(nb, where + f'papermill {path.name if where else "nbs/" + path.name} OUT.ipynb{{flags}}',
                     ', run by `tools/execute_nbs.py`')
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
    else:
        if not args.notebooks: notebooks = [p for p in notebooks if is_stale(p)]
        for path in notebooks: execute(path); _stamp(path)
    from nbdev.clean import nbdev_clean
    os.chdir(ROOT); nbdev_clean.__wrapped__()   # strips what execution adds, keeps outputs and the stamp


if __name__ == '__main__':
    main()
