"""Running the experiment notebooks under papermill from the tests, as a user runs them from the repository root."""
from pathlib import Path

import papermill as pm

NBS = Path(__file__).resolve().parents[1] / 'nbs'


def execute(tmp_path, notebook, **parameters):
    "Run `nbs/<notebook>` with `parameters` into `tmp_path`, from nbs/ (where relative paths in the defaults point)."
    return pm.execute_notebook(str(NBS / notebook), str(tmp_path / notebook), parameters=parameters,
                               kernel_name='python3', cwd=str(NBS), progress_bar=False)
