"""The package's layering holds: import-linter's contract in `.importlinter` (function-level imports included)."""

import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_imports_a_layer_above_its_own():
    lint = Path(sys.executable).parent / 'lint-imports'
    done = subprocess.run([str(lint), '--config', str(ROOT / '.importlinter')], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert 'Contracts: 1 kept, 0 broken.' in done.stdout, done.stdout[-2000:]


def test_every_module_is_in_a_layer():
    "A new module must be placed in the contract, or nothing checks what it imports."
    layers = (ROOT / '.importlinter').read_text(encoding='utf-8').split('layers =')[1]
    placed = {name.strip() for line in layers.splitlines() for name in line.split('|') if name.strip()}
    modules = {f'saft_nb.{p.stem}' for p in (ROOT / 'saft_nb').glob('*.py') if not p.stem.startswith('_')}
    assert modules == placed, f"not in a layer: {sorted(modules - placed)}; in a layer but not a module: {sorted(placed - modules)}"
