"""The real path, rehearsed: what a GPU user does with a ViT-B-32 weights file and datasets on disk, on the CPU.

A random-weights ViT-B-32 saved as a plain open_clip state dict stands in for downloaded weights; TinyImageNet (an
ImageFolder layout with words.txt, the papers' fine-tuning set) and EuroSAT (torchvision's own layout) are laid out
on disk with a few 64 px images. The user's commands then run unchanged: papermill fine-tunes through train.ipynb
with `model`, `pretrained`, `dataset`, `root`; evaluate.ipynb evaluates the run folder; saft-train does the same
from the command line. The checks read what a user reads: config.json, the results rows, the error sentences.
"""
import json, os, re, subprocess, sys

import numpy as np
import pandas as pd
import papermill as pm
import pytest
from PIL import Image

from notebook_runs import execute

EUROSAT = ['AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial', 'Pasture', 'PermanentCrop',
           'Residential', 'River', 'SeaLake']
WNIDS = {'n01443537': 'goldfish, Carassius auratus', 'n01629819': 'European fire salamander, Salamandra salamandra',
         'n02123045': 'tabby, tabby cat', 'n04562935': 'water tower'}


@pytest.fixture(autouse=True)
def not_under_nbdev_test(monkeypatch):
    "nbdev's notebook runner sets IN_TEST in this process; papermill runs must not inherit its smoke-test mode."
    monkeypatch.delenv('IN_TEST', raising=False)


def _images(folder, n, seed, ext='JPEG'):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f'{i}.{ext}')


@pytest.fixture(scope='module')
def real(tmp_path_factory):
    "A ViT-B-32 weights file and a data root with TinyImageNet and EuroSAT in their on-disk layouts."
    import open_clip, torch
    tmp = tmp_path_factory.mktemp('real')
    weights = tmp / 'ViT-B-32-random.pt'
    torch.save(open_clip.create_model('ViT-B-32').state_dict(), weights)   # a state dict, as open_clip's releases are
    root = tmp / 'data'
    tiny = root / 'tinyimagenet'
    (tiny).mkdir(parents=True)
    (tiny / 'words.txt').write_text(''.join(f'{w}\t{names}\n' for w, names in WNIDS.items()))
    for k, wnid in enumerate(WNIDS):
        _images(tiny / 'train' / wnid / 'images', 50, k)      # the official train layout: <wnid>/images/*.JPEG
        _images(tiny / 'val' / wnid, 4, 100 + k)              # val sorted into one folder per class
    for k, name in enumerate(EUROSAT): _images(root / 'eurosat' / '2750' / name, 3, 200 + k, 'jpg')
    return weights, root, tmp


def test_finetune_and_evaluate_vit_b_32_from_a_weights_file(real):
    weights, root, tmp = real
    execute(tmp, 'train.ipynb', method='tecoa', model='ViT-B-32', pretrained=str(weights), dataset='tinyimagenet',
            root=str(root), epochs=1, train_n=16, batch_size=8, val_n=4, test_n=8, out=str(tmp / 'runs'))
    run = tmp / 'runs' / 'tecoa'
    config = json.loads((run / 'config.json').read_text())
    assert (config['model'], config['pretrained'], config['root']) == ('ViT-B-32', str(weights), str(root))
    resolved = config['resolved']
    assert resolved['model']['base_weights'] == f'ViT-B-32/{weights}' and resolved['model']['image_size'] == 224
    assert resolved['data_root'] == str(root.resolve()) and (resolved['train_images'], resolved['val_images']) == (16, 4)
    test = pd.read_csv(run / 'test.csv')
    assert list(test.model) == ['original', 'tecoa'] and (test.n == 8).all() and (test.dataset == 'tinyimagenet').all()

    execute(tmp, 'evaluate.ipynb', run=str(run), root=str(root), datasets='eurosat,tinyimagenet', attacks='pgd',
            epsilons='1', steps=2, n=10)
    rows = pd.read_csv(run / 'eval' / 'results.csv')
    assert set(rows.dataset) == {'eurosat', 'tinyimagenet'} and set(rows.attack) == {'none', 'pgd', 'worst-case'}
    assert (rows.model == 'tecoa').all() and (rows.method == 'tecoa').all()
    assert (rows.base_model == f'ViT-B-32/{weights}').all() and rows.checkpoint.str.endswith('best.safetensors').all()
    assert (rows.n == 10).all() and (rows['sample'] == 'stratified').all() and (rows.model_input == 224).all()
    assert dict(zip(rows.dataset, rows.test_size)) == {'eurosat': 30, 'tinyimagenet': 16}
    assert (rows.resolution == 64).all()   # the perturbation lives at the datasets' 64 px, resized inside the model
    assert json.loads((run / 'eval' / 'results.json').read_text())['complete']


def test_the_command_line_trains_another_method_on_the_same_files(real):
    weights, root, tmp = real
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    done = subprocess.run([sys.executable, '-m', 'saft_nb.train', '--method', 'fare', '--model', 'ViT-B-32', '--pretrained',
                           str(weights), '--dataset', 'tinyimagenet', '--root', str(root), '--epochs', '1', '--train-n', '8',
                           '--batch-size', '8', '--val-n', '4', '--val-attack-steps', '1', '--attack-steps', '2',
                           '--out', str(tmp / 'cli')], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp / 'cli' / 'fare'
    assert done.stdout.strip().endswith(str(run))
    from saft_nb.loading import load_model
    back = load_model(str(run / 'final.safetensors'))   # a fine-tuned open_clip model loads back by itself
    assert (back.source['arch'], back.source['base'], back.image_size) == ('ViT-B-32', f'ViT-B-32/{weights}', 224)


@pytest.mark.parametrize('parameters, message', [
    (lambda w, r: dict(model=str(w)), 'is a weights file, not a saft-nb checkpoint: pass an architecture as model'),
    (lambda w, r: dict(model='ViT-B-32'), 'ViT-B-32 needs weights: pass pretrained as one of its tags'),
    (lambda w, r: dict(pretrained=str(w)), "model is 'embedded': name the architecture too"),
    (lambda w, r: dict(model='ViT-B-32', pretrained=str(w) + '.missing'), 'does not exist'),
    (lambda w, r: dict(model='ViT-B-16', pretrained=str(w)), 'holds weights of another architecture than ViT-B-16'),
    (lambda w, r: dict(model='ViT-B-32', pretrained=str(w), dataset='imagenet', root=str(r)), "Dataset 'imagenet' is not under"),
])
def test_the_real_path_says_what_is_wrong_and_leaves_no_run_folder(real, parameters, message):
    weights, root, tmp = real
    out = tmp / 'refused'
    with pytest.raises(pm.PapermillExecutionError, match=message):
        execute(tmp, 'train.ipynb', **{'method': 'tecoa', 'dataset': 'tinyimagenet', 'root': str(root), 'out': str(out),
                                       **parameters(weights, root)})
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.rehearsal   # about 5 minutes on 2 cores: `python -m pytest -m rehearsal` runs it, not every test run
def test_a_papers_recipe_and_protocol_on_the_same_files(real):
    "SAFT's recipe (TinyImageNet resized to 224 before the attack, one prompt, k = 5 descriptions) and TGA-ZSR's protocol."
    weights, root, tmp = real
    descriptions = tmp / 'cupl.json'   # CuPL's shape; goldfish has enough descriptions, tabby too few, the rest none (asked for)
    descriptions.write_text(json.dumps({'goldfish': [f'a goldfish, seen from side {i}.' for i in range(6)],
                                        'tabby': ['a tabby cat with stripes.', 'a striped tabby.']}))
    execute(tmp, 'train.ipynb', recipe='saft', pretrained=str(weights), root=str(root), train_steps=1, batch_size=4, train_n=8,
            val_n=4, val_attack_steps=1, test_n=4, method_options={'descriptions': str(descriptions), 'descriptions_partial': True},
            out=str(tmp / 'recipes'))
    run = tmp / 'recipes' / 'saft'
    config = json.loads((run / 'config.json').read_text())
    assert (config['recipe'], config['method'], config['model'], config['dataset'], config['lr'], config['train_steps']) == \
        ('saft', 'saft', 'ViT-B-32', 'tinyimagenet', 1e-4, 1)
    assert config['method_options'] == {'descriptions': str(descriptions), 'descriptions_partial': True, 'k': 5, 'too_few': 'template',
                                        'alpha': 0.08, 'beta': 0.05}
    assert config['sources']['pretrained'] == 'given' and 'config.py' in config['sources']['lr']
    assert config['resolved']['preprocess'] == '64 px Resize(256) + CenterCrop(224) (bilinear) before the attack, perturbed at 224 px'
    assert config['resolved']['prompts'] == ['This is a photo of a {}']
    assert (pd.read_csv(run / 'test.csv').perturbation == config['resolved']['preprocess']).all()

    execute(tmp, 'evaluate.ipynb', run=str(run), root=str(root), protocol='tga-zsr', datasets='eurosat,tinyimagenet',
            attacks='pgd,autoattack', steps=2, aa_steps=2, n=4)
    rows = pd.read_csv(run / 'eval' / 'results.csv')
    assert (rows.protocol == 'tga-zsr').all() and (rows.perturb_at == 'model').all() and (rows.resolution == 224).all()
    assert set(rows[rows.attack == 'pgd'].step_size) == {1.0} and set(rows[rows.requested == 'autoattack'].target) == {'apgd-ce+apgd-dlr'} and set(rows[rows.requested == 'autoattack'].attack) == {'apgd-ce+apgd-dlr, 2 iterations'}
    assert dict(zip(rows.dataset, rows.prompts)) == {'eurosat': 'A centered satellite photo of {}.', 'tinyimagenet': 'This is a photo of a {}'}
    assert dict(zip(rows.dataset, rows.preprocess)) == {
        'eurosat': '64 px Resize(256) + CenterCrop(224) (bilinear) before the attack, perturbed at 224 px',
        'tinyimagenet': '64 px Resize(256) + CenterCrop(224) (bilinear) before the attack, perturbed at 224 px'}
    assert dict(zip(rows.dataset, rows.class_names)) == {'eurosat': 'official-eurosat', 'tinyimagenet': 'registry'}


@pytest.mark.rehearsal   # about 6 minutes on 2 cores alone, 2 when the first test of this file trained the run
def test_ttc_protocol_with_the_defense_on_a_finetuned_run(real):
    "TTC's protocol with TTC on a run fine-tuned from a weights file: tau is measured on that file's original CLIP."
    weights, root, tmp = real
    run = tmp / 'runs' / 'tecoa'   # trained by the first test of this file
    if not run.exists():
        execute(tmp, 'train.ipynb', method='tecoa', model='ViT-B-32', pretrained=str(weights), dataset='tinyimagenet',
                root=str(root), epochs=1, train_n=8, batch_size=8, val_n=4, val_attack_steps=1, attack_steps=2, test_n=4,
                out=str(tmp / 'runs'))
    execute(tmp, 'evaluate.ipynb', run=str(run), root=str(root), protocol='ttc', defense='ttc', datasets='eurosat,tinyimagenet',
            attacks='pgd', steps=2, n=4, eot=1)
    records = [json.loads(p.read_text()) for p in run.glob('eval*/results.json')]   # the first test may have evaluated it too
    record, = [r for r in records if r['config']['protocol'] == 'ttc']
    assert record['complete'] and record['config']['defense'] == 'ttc' and record['config']['eot'] == 1
    rows = pd.DataFrame(record['rows'])
    assert (rows.protocol == 'ttc').all() and (rows.n == 4).all() and (rows.seed == 1).all() and (rows.resolution == 224).all()
    assert rows.model.str.endswith(' + ttc').all() and (rows.base_model == f'ViT-B-32/{weights}').all()
    assert all(json.loads(o) == {'eps': 4.0, 'steps': 2, 'step_size': 1.0, 'tau_thres': 0.2, 'beta': 2.0, 'tau_model': 'original'}
               for o in rows.defense_options)
    assert dict(zip(rows.dataset, rows.prompts)) == {'eurosat': 'A centered satellite photo of {}.', 'tinyimagenet': 'This is a photo of a {}.'}
    for dataset in ('eurosat', 'tinyimagenet'):
        mine = rows[rows.dataset == dataset]
        pgd = mine[mine.requested == 'pgd']
        assert sorted(zip(pgd.evaluation, pgd.eps, pgd.step_size)) == [('adaptive', 1.0, 1.0), ('as published', 1.0, 1.0)]
        assert list(mine[mine.requested == 'defense-aware'].evaluation) == ['adaptive']
        worst, = mine[mine.attack == 'worst-case'].target
        attacked = mine[~mine.attack.isin(['none', 'worst-case'])]
        assert sorted(worst.split(' | ')) == sorted(attacked.attack) and len(attacked) == 3   # both evaluations of pgd, and the defense-aware one


@pytest.fixture(scope='module')
def hub_cache(real, tmp_path_factory):
    """A Hugging Face cache laid out as huggingface_hub writes it, holding what the zoo's ViT-B-32 entries need: OpenAI's
    ViT-B-32 weights (the base that released image encoders are paired with; random here) and a FARE hub repository
    (open_clip_config.json and weights), plus TeCoA's released file in the zoo folder, in TeCoA's layout."""
    import open_clip, torch
    from safetensors.torch import save_file
    weights, root, tmp = real
    cache, zoo = tmp_path_factory.mktemp('hf-cache'), tmp_path_factory.mktemp('zoo')
    def snapshot(repo):
        folder = cache / f"models--{repo.replace('/', '--')}"
        (folder / 'refs').mkdir(parents=True); (folder / 'refs' / 'main').write_text('0' * 40)
        (folder / 'snapshots' / ('0' * 40)).mkdir(parents=True)
        return folder / 'snapshots' / ('0' * 40)
    state = torch.load(weights)
    save_file({k: v.contiguous() for k, v in state.items()}, snapshot('timm/vit_base_patch32_clip_224.openai') / 'open_clip_model.safetensors')
    fare = snapshot('chs20/FARE4-ViT-B-32-laion2B-s34B-b79K')
    (fare / 'open_clip_config.json').write_text(json.dumps({'model_cfg': open_clip.get_model_config('ViT-B-32'),
                                                            'preprocess_cfg': {'mean': [0.48145466, 0.4578275, 0.40821073], 'std': [0.26862954, 0.26130258, 0.27577711]}}))
    torch.save(state, fare / 'open_clip_pytorch_model.bin')
    tuned = open_clip.create_model('ViT-B-32', force_quick_gelu=True).visual.state_dict()   # "fine-tuned": other weights than the base
    (zoo / 'tecoa-paper-vitb32').mkdir()
    torch.save({'epoch': 10, 'state_dict': {}, 'add_prompter': {}, 'vision_encoder_state_dict': tuned, 'best_acc1': np.float64(31.25),
                'optimizer': {}}, zoo / 'tecoa-paper-vitb32' / 'TeCoAmodel_best.pth.tar')
    return cache, zoo


@pytest.mark.rehearsal   # about 4 minutes on 2 cores: `python -m pytest -m rehearsal` runs it, not every test run
def test_the_zoo_and_the_leaderboard_on_released_layouts(real, hub_cache, monkeypatch):
    "The issue's command: zoo names and a run under one protocol into one table, offline, from the files a user downloads."
    weights, root, tmp = real
    cache, zoo = hub_cache
    for name, value in (('HF_HUB_CACHE', str(cache)), ('HF_HUB_OFFLINE', '1'), ('SAFT_NB_ZOO', str(zoo))): monkeypatch.setenv(name, value)
    import huggingface_hub.constants as hf_constants   # this process read the variables at import: the kernels read them anew
    monkeypatch.setattr(hf_constants, 'HF_HUB_CACHE', str(cache)); monkeypatch.setattr(hf_constants, 'HF_HUB_OFFLINE', True)
    run = tmp / 'runs' / 'tecoa'   # trained by the first test of this file
    if not run.exists():
        execute(tmp, 'train.ipynb', method='tecoa', model='ViT-B-32', pretrained=str(weights), dataset='tinyimagenet',
                root=str(root), epochs=1, train_n=16, batch_size=8, val_n=4, test_n=8, out=str(tmp / 'runs'))
    out = tmp / 'board'
    execute(tmp, 'leaderboard.ipynb', models=f'tecoa-paper-vitb32,fare4-vitb32-laion,{run},ViT-B-32/openai', protocol='tga-zsr',
            root=str(root), datasets='eurosat,tinyimagenet', attacks='pgd', steps=2, n=4, out=str(out))
    board = pd.read_csv(out / 'leaderboard.csv', index_col='model')
    board.index = board.index.str.removesuffix(' ⚑')   # the card's flag mark depends on what its checks found
    assert sorted(board.index) == ['ViT-B-32/openai', 'fare4-vitb32-laion', 'tecoa', 'tecoa-paper-vitb32']
    assert board.robust.is_monotonic_decreasing   # the most robust first
    assert dict(board.method) == {'ViT-B-32/openai': 'none', 'fare4-vitb32-laion': 'fare', 'tecoa': 'tecoa', 'tecoa-paper-vitb32': 'tecoa'}
    assert (board['eurosat n'] == 4).all() and board['robust ±'].notna().all() and board['tinyimagenet robust 95% CI'].str.match(r'\d').all()
    rows = pd.read_csv(out / 'rows.csv')
    assert (rows.protocol == 'tga-zsr').all() and (rows.model_input == 224).all()
    assert set(rows[rows.model == 'tecoa-paper-vitb32'].checkpoint) == {str(zoo / 'tecoa-paper-vitb32' / 'TeCoAmodel_best.pth.tar')}
    assert (out / 'leaderboard.png').stat().st_size > 10_000
    # the released encoder is paired with OpenAI's text tower: the same text features as the base, another image tower
    from saft_nb.loading import load_model
    import torch
    paper, base = load_model('tecoa-paper-vitb32'), load_model('ViT-B-32', 'openai')
    assert paper.source['quick_gelu'] and paper.mean == base.mean
    with torch.no_grad():
        assert torch.equal(paper.model.encode_text(paper.tokenize(['a goldfish'])), base.model.encode_text(base.tokenize(['a goldfish'])))
        x = torch.rand(1, 3, 224, 224)
        assert not torch.allclose(paper.model.encode_image(x), base.model.encode_image(x))
    # a second run reads every finished evaluation back instead of attacking again
    before = {p: p.stat().st_mtime for p in out.rglob('results.csv')}
    execute(tmp, 'leaderboard.ipynb', models=f'tecoa-paper-vitb32,fare4-vitb32-laion,{run},ViT-B-32/openai', protocol='tga-zsr',
            root=str(root), datasets='eurosat,tinyimagenet', attacks='pgd', steps=2, n=4, out=str(out))
    assert {p: p.stat().st_mtime for p in out.rglob('results.csv')} == before
    # training can start from a released robust model: the run records it as its base and loads back by itself
    execute(tmp, 'train.ipynb', method='fare', model='tecoa-paper-vitb32', dataset='tinyimagenet', root=str(root), epochs=1,
            train_n=8, batch_size=8, val_n=4, val_attack_steps=1, attack_steps=2, test_n=4, out=str(tmp / 'from-zoo'))
    tuned = load_model(str(tmp / 'from-zoo' / 'fare' / 'best.safetensors'))
    assert (tuned.source['base'], tuned.source['arch'], tuned.source['quick_gelu']) == ('tecoa-paper-vitb32', 'ViT-B-32', True)
    # offline without the download: one sentence, naming the file and where to put it, before any attack
    monkeypatch.setenv('SAFT_NB_ZOO', str(tmp / 'empty-zoo'))
    with pytest.raises(pm.PapermillExecutionError, match='download https://cv.cs.columbia.edu/mcz/TeCoA/TeCoAmodel_best.pth.tar and put it at'):
        execute(tmp, 'leaderboard.ipynb', models=f'{run},tecoa-paper-vitb32', protocol='tga-zsr', root=str(root),
                datasets='eurosat', attacks='pgd', steps=2, n=4, out=str(tmp / 'board-2'))
    assert not (tmp / 'board-2').exists()


def _as_transformers(state):
    "An open_clip CLIP's state dict under transformers' CLIPModel names, as LEAF's conversion/convert_2.py writes it."
    out = {'logit_scale': state['logit_scale'], 'text_projection.weight': state['text_projection'].T,
           'visual_projection.weight': state['visual.proj'].T,
           'text_model.embeddings.token_embedding.weight': state['token_embedding.weight'],
           'text_model.embeddings.position_embedding.weight': state['positional_embedding'],
           'vision_model.embeddings.class_embedding': state['visual.class_embedding'],
           'vision_model.embeddings.patch_embedding.weight': state['visual.conv1.weight'],
           'vision_model.embeddings.position_embedding.weight': state['visual.positional_embedding']}
    for ours, theirs in (('ln_final', 'text_model.final_layer_norm'), ('visual.ln_pre', 'vision_model.pre_layrnorm'),
                         ('visual.ln_post', 'vision_model.post_layernorm')):
        for p in ('weight', 'bias'): out[f'{theirs}.{p}'] = state[f'{ours}.{p}']
    for ours, theirs in (('transformer.resblocks', 'text_model.encoder.layers'), ('visual.transformer.resblocks', 'vision_model.encoder.layers')):
        for i in range(12):
            for p in ('weight', 'bias'):
                for a, b in (('ln_1', 'layer_norm1'), ('ln_2', 'layer_norm2'), ('mlp.c_fc', 'mlp.fc1'), ('mlp.c_proj', 'mlp.fc2'),
                             ('attn.out_proj', 'self_attn.out_proj')):
                    out[f'{theirs}.{i}.{b}.{p}'] = state[f'{ours}.{i}.{a}.{p}']
                for name, part in zip('qkv', state[f'{ours}.{i}.attn.in_proj_{p}'].chunk(3)): out[f'{theirs}.{i}.self_attn.{name}_proj.{p}'] = part
    return {k: v.contiguous() for k, v in out.items()}


@pytest.mark.rehearsal   # about 2 minutes on 2 cores: `python -m pytest -m rehearsal` runs it, not every test run
def test_the_newer_releases_layouts_on_files_laid_out_as_released(real, hub_cache, monkeypatch):
    """AdvFLYP's file (its partial_state_dict) under its zoo name in the leaderboard; a ViT-B-32 in transformers' CLIPModel
    format in the Hugging Face cache, as LEAF releases its models; and the issue's ViT-L-14 names, offline without their files."""
    import open_clip, torch
    from safetensors.torch import save_file
    from saft_nb.loading import load_model
    from saft_nb.core import MissingResourceError, file_sha256
    from saft_nb.zoo import load_zoo_model
    weights, root, tmp = real
    cache, zoo = hub_cache
    for name, value in (('HF_HUB_CACHE', str(cache)), ('HF_HUB_OFFLINE', '1'), ('SAFT_NB_ZOO', str(zoo))): monkeypatch.setenv(name, value)
    import huggingface_hub.constants as hf_constants   # this process read the variables at import: the kernels read them anew
    monkeypatch.setattr(hf_constants, 'HF_HUB_CACHE', str(cache)); monkeypatch.setattr(hf_constants, 'HF_HUB_OFFLINE', True)
    state = torch.load(weights)
    # AdvFLYP: the trainable parameters under their whole-CLIP names, next to the prompters, epoch and optimizer
    tuned = open_clip.create_model('ViT-B-32', force_quick_gelu=True).visual.state_dict()
    (zoo / 'advflyp-vitb32').mkdir()
    torch.save({'epoch': 4, 'state_dict': {}, 'add_prompter': {}, 'partial_state_dict': {f'visual.{k}': v for k, v in tuned.items()},
                'best_acc1': 24.5, 'optimizer': {'state': {}, 'param_groups': []}}, zoo / 'advflyp-vitb32' / 'AdvFLYP_full_checkpoint.pth.tar')
    adv, base = load_model('advflyp-vitb32'), load_model('ViT-B-32', 'openai')
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(adv.model.encode_text(adv.tokenize(['a goldfish'])), base.model.encode_text(base.tokenize(['a goldfish'])))
        reference = open_clip.create_model('ViT-B-32', force_quick_gelu=True); reference.visual.load_state_dict(tuned)
        assert (adv.model.encode_image(x) - reference.encode_image(x)).abs().max() < 1e-4
    # a transformers CLIPModel in the Hugging Face cache: both towers are the file's, QuickGELU from its config.json's defaults
    snapshot = cache / 'models--org--leaf-vitb32' / 'snapshots' / ('0' * 40)
    snapshot.mkdir(parents=True); (snapshot.parents[1] / 'refs').mkdir(); (snapshot.parents[1] / 'refs' / 'main').write_text('0' * 40)
    (snapshot / 'config.json').write_text(json.dumps({'model_type': 'clip', 'projection_dim': 512,   # an older config.json: defaults left out
        'text_config': {'hidden_size': 512, 'intermediate_size': 2048, 'num_attention_heads': 8, 'num_hidden_layers': 12},
        'vision_config': {'hidden_size': 768, 'intermediate_size': 3072, 'num_attention_heads': 12, 'num_hidden_layers': 12, 'patch_size': 32}}))
    blob = snapshot.parents[1] / 'blobs' / 'weights'; blob.parent.mkdir()   # as huggingface_hub keeps it: a link to a blob named by its SHA-256
    save_file(_as_transformers(state), str(blob))
    blob = blob.rename(blob.with_name(file_sha256(blob))); (snapshot / 'model.safetensors').symlink_to(blob)
    entry = {'paper': 'LEAF', 'method': 'leaf', 'architecture': 'ViT-B-32', 'base': 'openai', 'train_eps': 2, 'train_data': 'ImageNet',
             'towers': 'image and text', 'layout': 'transformers-clip', 'repo': 'org/leaf-vitb32', 'url': 'https://huggingface.co/org/leaf-vitb32',
             'mean': list(open_clip.OPENAI_DATASET_MEAN), 'std': list(open_clip.OPENAI_DATASET_STD), 'license': 'unknown', 'source': 'here'}
    leaf = load_zoo_model('leaf-vitb32', entries={'leaf-vitb32': entry})
    reference = open_clip.create_model('ViT-B-32', force_quick_gelu=True); reference.load_state_dict(state)
    with torch.no_grad():
        assert (leaf.model.encode_image(x) - reference.encode_image(x)).abs().max() < 1e-4
        assert (leaf.model.encode_text(leaf.tokenize(['a goldfish'])) - reference.encode_text(open_clip.tokenize(['a goldfish']))).abs().max() < 1e-4
    assert leaf.source['quick_gelu'] and leaf.source['verified'] == 'sha256 matches the Hugging Face hub (its cache blob name)'
    # the leaderboard ranks the newer release by its zoo name, from its file in the zoo folder
    out = tmp / 'board-new'
    execute(tmp, 'leaderboard.ipynb', models='advflyp-vitb32,ViT-B-32/openai', protocol='tga-zsr', root=str(root),
            datasets='eurosat', attacks='pgd', steps=2, n=4, out=str(out))
    board = pd.read_csv(out / 'leaderboard.csv', index_col='model')
    board.index = board.index.str.removesuffix(' ⚑')
    assert dict(board.method) == {'advflyp-vitb32': 'advflyp', 'ViT-B-32/openai': 'none'}
    rows = pd.read_csv(out / 'rows.csv')
    assert set(rows[rows.model == 'advflyp-vitb32'].checkpoint) == {str(zoo / 'advflyp-vitb32' / 'AdvFLYP_full_checkpoint.pth.tar')}
    # the names resolve to the zoo: offline without their files, each says what to download and where
    empty = tmp / 'empty-zoo-new'
    monkeypatch.setenv('SAFT_NB_ZOO', str(empty))
    with pytest.raises(pm.PapermillExecutionError, match=f'download https://huggingface.co/hossainzarif19/SimCLIP/resolve/main/simclip4.pt and put it at {empty}/sim-clip4-vitl14/simclip4.pt'):
        execute(tmp, 'leaderboard.ipynb', models='sim-clip4-vitl14,qt-aft4-vitl14,fare4-vitl14', protocol='tga-zsr', root=str(root),
                datasets='eurosat', attacks='pgd', steps=2, n=4, out=str(tmp / 'board-3'))
    assert not (tmp / 'board-3').exists()
    for name, sentence in (('qt-aft4-vitl14', f'download its ViT-L-14 checkpoint from https://huggingface.co/futakw/clip-qt-aft (the release does not name the file) and put it in {empty}/qt-aft4-vitl14/'),
                           ('fare4-vitl14', 'hf download chs20/fare4-clip')):
        with pytest.raises(MissingResourceError, match=re.escape(sentence)): load_model(name)


def test_transformers_format_converts_to_what_transformers_computes(tmp_path, monkeypatch):
    "A tiny CLIPModel written by transformers' save_pretrained loads as a zoo model with the features transformers computes."
    transformers = pytest.importorskip('transformers')
    import open_clip, torch
    from saft_nb.zoo import load_zoo_model, transformers_model_config
    monkeypatch.setenv('SAFT_NB_ZOO', str(tmp_path / 'zoo'))
    for act in ('quick_gelu', 'gelu'):
        config = transformers.CLIPConfig(projection_dim=16, text_config=dict(hidden_size=32, intermediate_size=64, num_attention_heads=4,
            num_hidden_layers=2, max_position_embeddings=16, hidden_act=act), vision_config=dict(hidden_size=32, intermediate_size=64,
            num_attention_heads=4, num_hidden_layers=2, image_size=32, patch_size=8, hidden_act=act))
        torch.manual_seed(0)
        theirs = transformers.CLIPModel(config).eval()
        theirs.save_pretrained(tmp_path / 'zoo' / f'tiny-{act}')
        arch = tmp_path / f'tiny-{act}.json'   # the architecture the entry names, known to open_clip as the zoo's are
        arch.write_text(json.dumps(transformers_model_config(json.loads((tmp_path / 'zoo' / f'tiny-{act}' / 'config.json').read_text()))))
        open_clip.add_model_config(arch)
        entry = {'paper': 'test', 'method': 'leaf', 'architecture': f'tiny-{act}', 'base': 'openai', 'train_eps': 2, 'train_data': 'none',
                 'towers': 'image and text', 'layout': 'transformers-clip', 'repo': 'org/tiny', 'url': 'https://huggingface.co/org/tiny',
                 'mean': [0.5] * 3, 'std': [0.25] * 3, 'license': 'unknown', 'source': 'here'}
        ours = load_zoo_model(f'tiny-{act}', entries={f'tiny-{act}': entry}, trust_unverified=True)
        images, ids = torch.rand(2, 3, 32, 32), ours.tokenize(['a goldfish', 'a tabby cat with stripes'])
        with torch.no_grad():
            image_features, text_features = theirs.get_image_features(pixel_values=images), theirs.get_text_features(input_ids=ids)
            image_features = getattr(image_features, 'pooler_output', image_features)   # transformers 5 may return an output object
            text_features = getattr(text_features, 'pooler_output', text_features)
            assert (ours.model.encode_image(images) - image_features).abs().max() < 1e-4
            assert (ours.model.encode_text(ids) - text_features).abs().max() < 1e-4
        assert ours.source['quick_gelu'] == (act == 'quick_gelu') and ours.std == (0.25,) * 3
