"""The papermill entry points run end to end with parameters, and reject bad ones with a clear message."""

import json, re

import pandas as pd
import papermill as pm
import pytest

from notebook_runs import NBS, execute


@pytest.fixture(autouse=True)
def not_under_nbdev_test(monkeypatch):
    "nbdev's notebook runner sets IN_TEST in this process; papermill runs must not inherit its smoke-test mode."
    monkeypatch.delenv('IN_TEST', raising=False)


def test_evaluate_writes_a_results_table(tmp_path):
    execute(tmp_path, 'evaluate.ipynb', datasets='suite-shape,suite-color', attacks='pgd,superclass', epsilons='1,2',
            steps=2, n=40, out=str(tmp_path / 'runs'))
    (run,) = (tmp_path / 'runs').iterdir()
    results = pd.read_csv(run / 'results.csv')
    assert set(results.dataset) == {'suite-shape', 'suite-color'}
    assert (results.n == 40).all() and results.accuracy.between(0, 100).all() and (results.resolution == 48).all()
    assert set(results.eps) == {0, 1, 2} and set(results.attack) == {'none', 'pgd', 'superclass', 'worst-case'}
    assert (run / 'outcomes.parquet').is_file() and (run / 'card.md').is_file()
    assert {'norm', 'steps', 'step_size', 'seed', 'checkpoint', 'model_input'} <= set(results.columns)


def test_train_then_evaluate_the_run(tmp_path, capfd):
    execute(tmp_path, 'train.ipynb', method='tecoa', epochs=1, train_n=64, batch_size=32, val_n=32, test_n=32,
            out=str(tmp_path / 'runs'))
    run = tmp_path / 'runs' / 'tecoa'
    assert (run / 'test.csv').exists()
    terminal = capfd.readouterr().err   # what the terminal running papermill shows: the kernel's own stderr
    assert f'run folder: {run}' in terminal
    assert re.search(r'epoch 1/1, step 2/2, \d+ s elapsed, about 0 s left \| validation: clean \d+\.\d%, robust \d+\.\d% \(n=32\)', terminal), terminal
    execute(tmp_path, 'evaluate.ipynb', run=str(run), datasets='suite-color', attacks='pgd', epsilons='1', steps=2, n=32)
    results = pd.read_csv(run / 'eval' / 'results.csv')
    assert (results.method == 'tecoa').all() and results.checkpoint.str.endswith('best.safetensors').all()
    terminal = capfd.readouterr().err
    assert f"tecoa: results in {run / 'eval'}" in terminal and re.search(r'suite-color +pgd eps 1: +\d+\.\d% \(n=32\)', terminal), terminal
    # the same run defended by TTC at inference: every attack as published and adaptive, beside the plain evaluation
    execute(tmp_path, 'evaluate.ipynb', run=str(run), datasets='suite-color', attacks='pgd', epsilons='1', steps=2, n=32,
            defense='ttc', eot=1)
    defended = pd.read_csv(run / 'eval-2' / 'results.csv')
    assert (defended.model == 'tecoa + ttc').all() and (defended.defense == 'ttc').all()
    assert list(defended.attack) == ['none', 'pgd (as published)', 'pgd', 'defense-aware', 'worst-case']
    assert list(defended.evaluation.fillna('')) == ['', 'as published', 'adaptive', 'adaptive', '']
    assert json.loads(defended.defense_options[0])['tau_model'] == 'original'   # tau from the original model the run came from
    assert '## Defense at inference' in (run / 'eval-2' / 'card.md').read_text()
    assert re.search(r'suite-color +pgd \(adaptive\) eps 1: +\d+\.\d% \(n=32\)', capfd.readouterr().err)


@pytest.mark.parametrize('parameters, message', [
    (dict(model='no-such-model'), "Unknown model 'no-such-model'"),
    (dict(datasets='cifar11'), "Unknown dataset 'cifar11'"),
    (dict(n='many'), 'n must be an integer'),
    (dict(attacks='pgd,fgsm'), "Unknown attack 'fgsm'"),
    (dict(run='/no/such/run'), 'does not exist'),
    (dict(defense='ttx'), "Unknown defense 'ttx'"),
    (dict(eot=2), 'give the defense too'),
    (dict(defense='ttc', defense_options='tau:0.3'), "has no option 'tau'"),
])
def test_evaluate_rejects_bad_parameters(tmp_path, parameters, message):
    with pytest.raises(pm.PapermillExecutionError, match=message):
        execute(tmp_path, 'evaluate.ipynb', out=str(tmp_path / 'runs'), **parameters)


def test_train_rejects_an_unknown_method(tmp_path):
    from saft_nb.methods import method_names   # the registry, installed plugins included, as the notebook's kernel sees it
    with pytest.raises(pm.PapermillExecutionError, match=re.escape(f"Unknown method 'tecao'; choose one of: {', '.join(method_names())}")):
        execute(tmp_path, 'train.ipynb', method='tecao', out=str(tmp_path / 'runs'))


@pytest.mark.parametrize('notebook, parameters, message', [
    ('train.ipynb', dict(epsilon=300), "Unknown parameter 'epsilon' (did you mean 'eps'?); this notebook takes: plugins, datasets_dir, method, recipe,"),
    ('evaluate.ipynb', dict(epsilon=2, nn=5), "Unknown parameters 'epsilon' (did you mean 'epsilons'?), 'nn' (did you mean 'n'?)"),
    ('leaderboard.ipynb', dict(model='fare2-vitl14'), "Unknown parameter 'model' (did you mean 'models'?)"),
    ('calibration.ipynb', dict(headline_epsilon=2), "Unknown parameter 'headline_epsilon' (did you mean 'headline_eps'?)"),
])
def test_a_misspelled_parameter_stops_the_notebook(tmp_path, notebook, parameters, message, capfd):
    with pytest.raises(pm.PapermillExecutionError, match=re.escape(message)) as stopped:
        execute(tmp_path, notebook, out=str(tmp_path / 'runs'), **parameters)
    assert not (tmp_path / 'runs').exists()   # stopped before anything was trained or written
    assert stopped.value.traceback == [f'ConfigError: {stopped.value.evalue}']   # the sentence is the whole traceback
    assert f'ConfigError: {stopped.value.evalue}' in capfd.readouterr().err      # and the terminal shows it at once


@pytest.mark.parametrize('notebook', ['train.ipynb', 'evaluate.ipynb', 'leaderboard.ipynb', 'calibration.ipynb'])
def test_help_notebook_gives_every_parameter_a_type_and_a_description(notebook):
    "What `papermill --help-notebook` prints, from the same inspection."
    from saft_nb.methods import method_names
    from saft_nb.recipes import list_protocols
    parameters = pm.inspect_notebook(str(NBS / notebook))
    assert len(parameters) >= {'leaderboard.ipynb': 18, 'calibration.ipynb': 6}.get(notebook, 16)
    for name, p in parameters.items():
        assert p['inferred_type_name'] != 'None' and p['help'].strip(), (name, p)   # papermill shows 'None' as "Unknown type"
    if notebook == 'train.ipynb':   # where the choices live: the registry and the data folders, never a list written by hand
        assert 'saft_nb.methods.METHODS' in parameters['method']['help'], parameters['method']['help']
        assert 'saft_nb/data/recipes/' in parameters['recipe']['help'], parameters['recipe']['help']
        listed = lambda name, text: re.search(rf'(?<![\w.]){re.escape(name)}(?![\w.])', text)   # a word, not part of saft_nb
        assert not any(listed(name, parameters['method']['help']) for name in method_names() if name != 'none')
    elif notebook != 'calibration.ipynb':
        assert 'saft_nb/data/protocols/' in parameters['protocol']['help'], parameters['protocol']['help']
        assert 'list_attacks()' in parameters['attacks']['help'], parameters['attacks']['help']
        listed = lambda name, text: re.search(rf'(?<![\w.]){re.escape(name)}(?![\w.])', text)
        assert not any(listed(name, parameters['protocol']['help']) for name in list_protocols() if name != 'suite')


def _printed(nb, streams=('stdout', 'stderr')) -> str:
    "What the notebook's cells printed: under papermill, saft-nb's lines go to stderr (the terminal, copied into the notebook)."
    return ''.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []) if o.get('name') in streams)


def _report(text: str) -> tuple[dict, list[str]]:
    "A dry run's report read back: {field: (value as shown, source)} and the sentences listed as missing."
    values = {m[1]: (m[2], m[3]) for m in re.finditer(r'^  (\w+)\s+(.*?)  \((.*)\)$', text, re.M)}
    return values, re.findall(r'^  - (.*)$', text, re.M)


def test_dry_runs_show_every_value_with_its_source_and_what_is_missing_and_write_nothing(tmp_path):
    nb = execute(tmp_path, 'train.ipynb', recipe='saft', root=str(tmp_path / 'data'), eps=2, dry_run=True, out=str(tmp_path / 'runs'))
    shown, missing = _report(_printed(nb, ('stderr',)))   # said: in the terminal and the notebook
    assert shown['dataset'] == ("'tinyimagenet'", 'recipe saft: tmlr-group/SAFT@db30aec config.py ~l.48')
    assert shown['eps'] == ('2', 'given') and "'too_few': 'template'" in shown['method_options'][0] and shown['crop'][0] == '0.875'
    assert [m.split(':')[0] for m in missing] == ['ViT-B-32/openai is not in the Hugging Face cache (timm/vit_base_patch32_clip_224.openai)',
                                                  "Dataset 'tinyimagenet' is not under " + str(tmp_path / 'data'), 'SAFT needs class descriptions for tinyimagenet'], missing
    assert not (tmp_path / 'runs').exists() and not (tmp_path / 'data').exists()
    nb = execute(tmp_path, 'evaluate.ipynb', protocol='tga-zsr', dry_run=True, out=str(tmp_path / 'runs'))
    shown, missing = _report(_printed(nb, ('stderr',)))
    assert shown['steps'][0] == '100' and shown['aa_components'][0] == "['apgd-ce', 'apgd-dlr']" and shown['datasets'][0].count("'") == 32
    assert len(missing) == 16 and all(m.startswith('Dataset ') for m in missing), missing   # the embedded model is here; no dataset is
    assert not (tmp_path / 'runs').exists()
    nb = execute(tmp_path, 'leaderboard.ipynb', models='fare2-vitl14,tecoa4-vitl14,runs/saft', protocol='fare', dry_run=True,
                 out=str(tmp_path / 'board'))
    printed = _printed(nb)
    assert printed.startswith('3 models: fare2-vitl14, tecoa4-vitl14, runs/saft\nranked by worst-case at eps 2/255 under protocol fare')
    shown, missing = _report(printed)
    assert shown['aa_components'][0] == "['apgd-ce', 'apgd-t']"
    assert missing[:3] == ["fare2-vitl14's weights (hf-hub:chs20/fare2-clip) are not in the Hugging Face cache: open_clip downloads them on first use; "
                           "offline, copy ~/.cache/huggingface from a machine that has them.", missing[1], 'Model file runs/saft does not exist.'], missing
    assert not (tmp_path / 'board').exists()


# --- evaluate.ipynb and leaderboard.ipynb: unfinished runs, partial descriptions, parameters checked first (issue 32) ---

_SMALL = dict(datasets='suite-shape', attacks='pgd', epsilons='1', steps=1, n=8)


def _unfinished_run(folder):
    "A training run killed after epoch 1 of 2: its config, metrics and best.safetensors, no final.safetensors."
    from saft_nb.core import save_json
    from saft_nb.loading import load_model
    from saft_nb.models import save_clip
    folder.mkdir(parents=True)
    save_json({'method': 'tecoa', 'epochs': 2, 'batch_size': 32}, folder / 'config.json')
    save_clip(load_model(), folder / 'best.safetensors')
    (folder / 'metrics.jsonl').write_text(json.dumps({'epoch': 1, 'val_robust_acc': 10.0}) + '\n')
    return folder


def test_an_unfinished_run_is_evaluated_marked_and_left_out_of_the_leaderboard(tmp_path):
    run = _unfinished_run(tmp_path / 'runs' / 'halfway')
    nb = execute(tmp_path, 'evaluate.ipynb', run=str(run), **_SMALL)
    assert f'Warning: {run} is an unfinished training run (no final.safetensors' in _printed(nb)
    assert not pd.read_csv(run / 'eval' / 'results.csv').finished.any()
    nb = execute(tmp_path, 'leaderboard.ipynb', runs_folder=str(tmp_path / 'runs'), out=str(tmp_path / 'board'), **_SMALL)
    assert f'Left out as unfinished training runs: {run} (no final.safetensors' in _printed(nb)
    assert list(_unmarked(pd.read_csv(tmp_path / 'board' / 'leaderboard.csv').model)) == ['embedded']
    # asked for, its evaluation folder is ranked, marked, into an out folder that no evaluation has made
    execute(tmp_path, 'leaderboard.ipynb', models=str(run / 'eval'), include_unfinished=True, out=str(tmp_path / 'read-only'), **_SMALL)
    assert list(_unmarked(pd.read_csv(tmp_path / 'read-only' / 'leaderboard.csv').model)) == ['halfway (unfinished)']


def _unmarked(models: pd.Series) -> pd.Series:
    "Model names without the evaluation card's flag mark (' ⚑'), which depends on what the checks found."
    return models.str.removesuffix(' ⚑')


@pytest.mark.parametrize('parameters, message', [
    (dict(models='embedded', eps='abc'), "eps must be a number, got 'abc'."),
    (dict(runs_folder='rnus'), 'The runs folder rnus does not exist: give the folder'),
    (dict(models='embedded', include_unfinished='yes'), "Unknown include_unfinished 'yes'; choose one of: True, False."),
])
def test_leaderboard_rejects_bad_parameters_before_any_work(tmp_path, parameters, message):
    with pytest.raises(pm.PapermillExecutionError, match=re.escape(message)):
        execute(tmp_path, 'leaderboard.ipynb', out=str(tmp_path / 'board'), **parameters)
    assert not (tmp_path / 'board').exists()


def test_evaluate_ensemble_with_descriptions_for_some_classes(tmp_path):
    from saft_nb.data import get_spec
    from saft_nb.descriptions import load_descriptions
    few = tmp_path / 'three.json'
    few.write_text(json.dumps({c: load_descriptions('suite')[c] for c in get_spec('suite-shape').classnames[:3]}))
    given = dict(_SMALL, attacks='ensemble', descriptions=str(few), out=str(tmp_path / 'runs'))
    with pytest.raises(pm.PapermillExecutionError, match=re.escape('The ensemble attack on suite-shape: 7 of 10 classes have no descriptions')):
        execute(tmp_path, 'evaluate.ipynb', **given)
    execute(tmp_path, 'evaluate.ipynb', descriptions_partial=True, **given)
    (folder,) = (tmp_path / 'runs').iterdir()   # the refused evaluation made no folder
    rows = pd.read_csv(folder / 'results.csv').query("attack == 'ensemble (transfer)'")
    assert (rows.described_classes == 3).all() and rows.target.str.contains('descriptions for 3 of 10 classes').all()


# --- every papermill page's saved outputs: each result line once (issue 33) ---

PAPERMILL_PAGES = ('pretrain', 'calibration', 'premises', 'sweep', 'train', 'evaluate', 'results', 'claims', 'test_time_defenses', 'leaderboard', 'own_method', 'explore')


@pytest.mark.parametrize('page', PAPERMILL_PAGES)
def test_each_result_line_appears_once_in_the_saved_outputs(page):
    "A result line ('... eps 8:  2.5% (n=200)') printed to the terminal must not come back into the notebook a second time."
    import nbformat
    nb = nbformat.read(NBS / f'{page}.ipynb', as_version=4)
    for cell in nb.cells:
        lines = [line.strip() for o in cell.get('outputs', []) if o.get('output_type') == 'stream' for line in o['text'].splitlines()]
        results = [line for line in lines if re.search(r'eps \d.*\d%', line)]
        repeated = sorted({line for line in results if results.count(line) > 1})
        assert not repeated, f"{page}.ipynb shows {len(repeated)} result lines twice, e.g. {repeated[0]!r}"
