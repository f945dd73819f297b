"""Training and evaluation throughput of saft-nb against reference loops that compute what the official code computes.

    python benchmarks/speed.py                       # the embedded model on the CPU; ViT-B/32 at 224 px too on a GPU
    python benchmarks/speed.py --only embedded --batch 64 --steps 4
    python benchmarks/speed.py --only vit            # ViT-B/32 (random weights) alone, on the GPU
    # rehearse the ViT-B/32 part on the CPU (about 1 minute and 7 GiB on 2 cores; 1 thread ran faster there than 2):
    OMP_NUM_THREADS=1 python benchmarks/speed.py --only vit --vit-device cpu --vit-batch 1 --vit-classes 2 --steps 2 --eval-n 1 --eval-steps 2

`--only embedded` and `--only vit` were `--only cpu` and `--only gpu`, and `--vit-batch` was `--gpu-batch`: the old
names still work. The ViT-B/32 part runs on the GPU by default; `--vit-device cpu` runs the same code on the CPU (bf16
autocast for saft-nb's training, the FLOP count, peak memory) to check it before a GPU run (tests/test_speed.py does).
On the CPU the peak memory is the process's peak resident set size (RSS, reset before each loop where Linux allows
it), and no MFU is given: no GPU peak applies. Re-encoding ImageNet's 1000 prompts through the text tower with
autograd takes minutes per reference step on a few CPU cores: `--vit-classes N` keeps the first N classes (SAFT then
uses the first min(N, 200)), `--eval-steps` shortens PGD-100, and the ViT-B/32 header and the evaluation line say so.

Every workload runs twice in this process, on the same batches and from the same weights:
- saft-nb: the training loop's own step (`train.adversarial_loss`, backward, AdamW step), evaluation's PGD;
- reference, as the official TeCoA / FARE / SAFT loops do it: every attack step and every training step re-encodes
  all class prompts (or all K x C descriptions) with the text encoder under autograd, every parameter requires a
  gradient (frozen means "not in the optimizer"), the frozen original model runs with gradients, all in fp32, through open_clip's own forward (not saft-nb's lean
  vision tower).
Workloads: TeCoA (PGD-2), FARE (PGD-10), SAFT (K descriptions, semantic-ensemble PGD-2 + attention terms), and
PGD-100 evaluation (1/255; saft-nb stops attacking an image once it is misclassified, the reference runs all steps).
On the CPU they run twice: on the suite's shapes (10 classes: few prompts, so re-encoding them costs little) and on
random images with the papers' prompt counts: TeCoA's one template over ImageNet's 1000 class names, SAFT's 5
descriptions for each of 200 classes (TinyImageNet's count; ImageNet templates stand in for descriptions).
For TeCoA it also times the floor: the image forward+backward passes the algorithm needs, with nothing else.
On a GPU, saft-nb trains under bf16 autocast (its evaluation attacks stay fp32), and the script prints the model-FLOPs
utilization of saft-nb's ViT-B/32 training steps (FLOPs counted by torch's FlopCounterMode) and peak memory.
Not a test: it prints images per second and the ratios; the docs quote its output with the machine it ran on.
"""
import argparse, copy, dataclasses, json, os, platform, resource, tempfile, time

import torch
import torch.nn.functional as F

from saft_nb.attacks import CrossEntropy, attack_mode, pgd, random_start
from saft_nb.data import get_spec, load_dataset
from saft_nb.descriptions import DescriptionSet, dataset_descriptions, descriptions_for, refine_top_k
from saft_nb.methods import attention_maps
from saft_nb.loading import load_model
from saft_nb.models import ZeroShotClassifier, bank_texts, encode_texts, open_clip_vision_tower
from saft_nb.train import TrainConfig, adversarial_loss, prepare_training

# dense bf16 peak of the GPUs we know, for model-FLOPs utilization
PEAK_BF16_FLOPS = {'H100': 989e12, 'H200': 989e12, 'A100': 312e12, 'L40S': 362e12}


class Reference:
    "A copy of the model trained the way the official loops train it; `texts` is K lists of C prompts."
    def __init__(self, cm, texts: list[list[str]], teacher: bool = False, logit_scale: float = 100.0):
        self.model = copy.deepcopy(cm.model).train().requires_grad_(True)
        self.teacher = copy.deepcopy(cm.model).requires_grad_(True) if teacher else None
        flat = [t for row in texts for t in row]
        self.tokens = cm.tokenizer(flat).to(cm.device)
        self.k, self.c, self.scale, self.cm = len(texts), len(texts[0]), logit_scale, cm
        self.opt = torch.optim.AdamW(self.model.visual.parameters(), lr=1e-5)
        # the library's classifier around each copy gives the image side (resize + normalize, patch tokens); the
        # reference's own text side is `text_members`, which re-encodes every prompt with autograd on every call
        bank = encode_texts(cm, flat).view(self.k, self.c, -1)
        view = lambda model: ZeroShotClassifier(dataclasses.replace(cm, model=model), bank, logit_scale)
        self.view = view(self.model)
        self.teacher_view = view(self.teacher) if teacher else None
        # the official loops run open_clip's own forward, not the library's lean one
        for model in (self.model, self.teacher): open_clip_vision_tower(model)

    def preprocess(self, x): return self.view.preprocess(x)

    def text_members(self, model):   # K x C x d: every prompt through the text encoder, with autograd, every call
        return F.normalize(model.encode_text(self.tokens), dim=-1).view(self.k, self.c, -1)

    def member_logits(self, x, model=None):
        model = model or self.model
        image = F.normalize(model.encode_image(self.preprocess(x)), dim=-1)
        return self.scale * torch.einsum('bd,kcd->kbc', image, self.text_members(model))

    def logits(self, x):   # the template ensemble of the zero-shot classifier, recomputed from the text encoder
        image = F.normalize(self.model.encode_image(self.preprocess(x)), dim=-1)
        return self.scale * image @ F.normalize(self.text_members(self.model).mean(0), dim=-1).T

    def pgd(self, loss_fn, x, eps, steps, alpha, start, momentum=0.0):
        "The official PGD: loss.backward() on the whole graph (gradients land in every parameter too), sign steps."
        delta, g = (start - x).detach(), torch.zeros_like(x)
        for _ in range(steps):
            delta.requires_grad_(True)
            loss_fn(x + delta).backward()
            grad = delta.grad / delta.grad.abs().mean((1, 2, 3), keepdim=True).clamp_min(1e-12) if momentum else delta.grad
            g = momentum * g + grad if momentum else grad
            delta = (delta.detach() + alpha * g.sign()).clamp(-eps, eps)
            delta = ((x + delta).clamp(0, 1) - x).detach()
            self.model.zero_grad(set_to_none=True)
        return x + delta

    def update(self, loss):
        self.opt.zero_grad(set_to_none=True); loss.backward(); self.opt.step()
        self.model.zero_grad(set_to_none=True)
        if self.teacher is not None: self.teacher.zero_grad(set_to_none=True)
        return loss

    def tecoa_step(self, x, y, start, eps, steps, alpha):
        x_adv = self.pgd(lambda xa: F.cross_entropy(self.logits(xa), y), x, eps, steps, alpha, start)
        return self.update(F.cross_entropy(self.logits(x_adv), y))

    def fare_step(self, x, y, start, eps, steps, alpha):
        target = self.teacher.encode_image(self.preprocess(x))   # the frozen original, run with gradients
        embed = lambda xa: self.model.encode_image(self.preprocess(xa))
        x_adv = self.pgd(lambda xa: ((embed(xa) - target.detach()) ** 2).sum(1).mean(), x, eps, steps, alpha, start, momentum=0.9)
        return self.update(((embed(x_adv) - target.detach()) ** 2).sum(1).mean())

    def saft_step(self, x, y, start, eps, steps, alpha, weights=(0.08, 0.05)):
        ensemble_ce = lambda logits: torch.stack([F.cross_entropy(l, y) for l in logits]).mean()
        x_adv = self.pgd(lambda xa: ensemble_ce(self.member_logits(xa)), x, eps, steps, alpha, start)
        size = self.cm.image_size
        texts = self.text_members(self.model)                                 # re-encoded for the loss
        pooled_adv, tokens_adv = self.view.image_features_and_tokens(x_adv)
        pooled_clean, tokens_clean = self.view.image_features_and_tokens(x)
        pooled_orig, tokens_orig = self.teacher_view.image_features_and_tokens(x)        # frozen model, with gradients
        target = attention_maps(pooled_orig, tokens_orig, self.text_members(self.teacher)[:, y], size)
        logits = self.scale * torch.einsum('bd,kcd->kbc', F.normalize(pooled_adv, dim=-1), texts)
        refine = (attention_maps(pooled_adv, tokens_adv, texts[:, y], size) - target).norm(dim=1).mean()
        constrain = (attention_maps(pooled_clean, tokens_clean, texts[:, y], size) - target).norm(dim=1).mean()
        return self.update(ensemble_ce(logits) + weights[0] * refine + weights[1] * constrain)


def ours(cm, spec, method_name, options, bf16):
    "The training loop's step, set up by the function `train()` uses."
    cfg = TrainConfig(method=method_name, method_options=options, bf16=bf16, dataset=spec.name).validate()
    method, attack = cfg.build_method(), cfg.training_attack()
    ctx, params, loss_module = prepare_training(method, cm, spec)
    opt = torch.optim.AdamW(params, lr=1e-5)
    def step(x, y, start):
        loss, _ = adversarial_loss(method, ctx, loss_module, attack, x, y, start, bf16)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        return loss
    return step, method, attack, ctx


def timed(step, batches, sync) -> tuple[float, float]:
    "Seconds per batch (one warm-up batch, then the rest) and the warm-up's loss, where both loops start alike."
    first = step(*batches[0]).item(); sync()
    t0 = time.perf_counter()
    for b in batches[1:]: step(*b)
    sync()
    return (time.perf_counter() - t0) / (len(batches) - 1), first


def peak_memory(dev) -> tuple:
    "(reset, read) for peak memory in GiB: the CUDA allocator's peak on a GPU, the process's peak RSS on the CPU."
    if dev.type == 'cuda':
        return torch.cuda.reset_peak_memory_stats, lambda: torch.cuda.max_memory_allocated() / 2**30
    def reset():   # Linux >= 4.0: writing 5 to clear_refs resets the peak RSS to the current RSS
        try:
            with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        except OSError: pass   # elsewhere the figure is the peak since the process started
    return reset, lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if platform.system() == 'Darwin' else 1024) / 2**30


def run(device: str, arch: str | None, dataset: str, batch: int, steps: int, eval_n: int, bf16: bool,
        classes: int | None = None, eval_steps: int = 100):
    """Every workload on `device`: the embedded model (`arch` None) or an open_clip architecture with random weights.
    `classes` keeps the first N class names of a random-image dataset (all by default)."""
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    base, spec = load_model(arch, 'random', dev) if arch else load_model('embedded', None, dev), get_spec(dataset)
    all_classes = len(spec.classnames)
    profile = arch is not None   # the ViT-B/32 part also reports peak memory and the FLOPs of saft-nb's TeCoA step
    descriptions_file = None
    if dataset.startswith('suite'):   # the suite's real images and labels
        ds = load_dataset(dataset, 'train')
        images = torch.stack([ds[i][0] for i in range(batch * steps)]); labels = torch.tensor([ds[i][1] for i in range(batch * steps)])
    else:   # random images at the model's resolution, the papers' prompt counts: TeCoA's one template x 1000 classes;
        # SAFT's 5 descriptions x 200 classes (TinyImageNet's count; 5 templates stand in for the descriptions)
        spec = dataclasses.replace(spec, templates=['This is a photo of a {}.'], classnames=spec.classnames[:classes])
        g = torch.Generator().manual_seed(0)
        images = torch.rand(batch * steps, 3, base.image_size, base.image_size, generator=g)
        labels = torch.randint(0, len(spec.classnames), (batch * steps,), generator=g)
        # no shipped descriptions for real datasets: 5 templates per class stand in for them (the same K x C prompts)
        saft_classes = spec.classnames[:200]
        descriptions_file = os.path.join(tempfile.mkdtemp(), 'descriptions.json')
        json.dump({c: [t.format(c) for t in get_spec(dataset).templates[:5]] for c in saft_classes}, open(descriptions_file, 'w'))
    images, labels = images.to(dev), labels.to(dev)
    batches = [(images[i:i + batch], labels[i:i + batch]) for i in range(0, len(images), batch)]
    name = f'{arch} (random weights)' if arch else 'embedded model'
    n_classes = f'{len(spec.classnames)} classes' if len(spec.classnames) == all_classes else f'first {len(spec.classnames)} of its {all_classes} classes'
    print(f'\n## {name} on {device}, {dataset} ({n_classes}, {base.image_size} px): batch {batch}, {len(batches) - 1} timed batches after one warm-up, '
          f'{torch.get_num_threads()} CPU threads; saft-nb training in {"bf16 autocast" if bf16 else "fp32"}, reference fp32')
    print(f"{'workload':34s} {'saft-nb img/s':>14s} {'reference img/s':>16s} {'ratio':>7s}  (saft-nb / reference)")
    results = {}
    for label, method_name, options in [('TeCoA training (PGD-2)', 'tecoa', {}), ('FARE training (PGD-10)', 'fare', {}),
                                        ('SAFT training (K descriptions)', 'saft',
                                         # the file describes the classes the benchmark keeps, not all of the dataset's
                                         {'descriptions': descriptions_file, 'descriptions_partial': True} if descriptions_file else {})]:
        method_spec, method_batches = spec, batches
        if method_name == 'saft' and descriptions_file:
            method_spec = dataclasses.replace(spec, classnames=spec.classnames[:200])
            method_batches = [(x, y % len(method_spec.classnames)) for x, y in batches]
        cm = copy.deepcopy(base)
        step, method, attack, ctx = ours(cm, method_spec, method_name, options, bf16)
        if method_name == 'saft':
            found, _ = descriptions_for(method_spec.classnames, dataset_descriptions(method_spec, descriptions_file), method_spec.templates)
            texts = bank_texts(method_spec.classnames, descriptions=refine_top_k(DescriptionSet(found), ctx.teacher, method.k, template='{}').descriptions)
        else: texts = bank_texts(method_spec.classnames, method_spec.templates)
        ref = Reference(base, texts, teacher=method_name in ('fare', 'saft'))
        ref_step = {'tecoa': ref.tecoa_step, 'fare': ref.fare_step, 'saft': ref.saft_step}[method_name]
        eps, alpha = attack.eps01, attack.step01
        gen = torch.Generator(device=dev).manual_seed(0)
        starts = [random_start(x, eps, 'linf', gen) for x, _ in method_batches]
        with_start = [(x, y, s) for (x, y), s in zip(method_batches, starts)]
        mem = []
        reset_peak, read_peak = peak_memory(dev)
        if profile: reset_peak()
        t_ours, loss_ours = timed(step, with_start, sync)
        if profile: mem.append(read_peak()); reset_peak()
        t_ref, loss_ref = timed(lambda x, y, s: ref_step(x, y, s, eps, attack.steps, alpha), with_start, sync)
        if profile: mem.append(read_peak())
        results[method_name] = (batch / t_ours, batch / t_ref)
        print(f'{label:34s} {batch / t_ours:14.1f} {batch / t_ref:16.1f} {t_ref / t_ours:6.2f}x'
              + f'  first loss {loss_ours:.4f} / {loss_ref:.4f}'
              + (f'  peak {"RSS " if dev.type == "cpu" else ""}{mem[0]:.1f} / {mem[1]:.1f} GiB' if mem else ''))
        if method_name == 'tecoa': floor(cm, ctx, attack, with_start, t_ours, batch, sync)
        if profile and method_name == 'tecoa': mfu(step, with_start[1], t_ours, dev)
        del cm, ref
    evaluation(base, spec, batches, eval_n, dev, sync, early_stop=dataset.startswith('suite'), steps=eval_steps)
    return results


def floor(cm, ctx, attack, batches, t_ours, batch, sync):
    "The least TeCoA can cost: one image forward+backward per attack step (input gradients) and one to train."
    def passes(x, y, start):
        for _ in range(attack.steps):
            xa = start.clone().requires_grad_(True)
            with attack_mode(cm.model): torch.autograd.grad(F.cross_entropy(ctx.clf(xa), y), xa)
        loss = F.cross_entropy(ctx.clf(start), y); loss.backward(); cm.model.zero_grad(set_to_none=True)
        return loss
    t_floor, _ = timed(passes, batches, sync)
    print(f"{'  floor: the image passes alone':34s} {batch / t_floor:14.1f} {'':16s}  saft-nb's TeCoA step takes {t_ours / t_floor:.2f}x the floor")


class _GlobalOnly:
    """Stands in for FlopCounterMode's module tracker, so that it counts the total alone: the tracker's gradient hooks
    make torch.autograd.grad with respect to a leaf, as every PGD step does, raise "A leaf node was passed to
    _will_engine_execute_node" (pytorch/pytorch#131753, open; seen with torch 2.14)."""
    parents = {'Global'}
    def __enter__(self): return self
    def __exit__(self, *args): pass


def mfu(step, batch, seconds, dev):
    """Model-FLOPs utilization of one saft-nb training step: counted FLOPs / time / the GPU's dense bf16 peak. On the
    CPU it counts the same FLOPs and gives the rate, with no MFU."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    if hasattr(counter, 'mod_tracker'): counter.mod_tracker = _GlobalOnly()
    with counter: step(*batch)
    flops = counter.get_total_flops()
    if dev.type != 'cuda':
        print(f'  TeCoA step: {flops / 1e12:.3f} TFLOP in {seconds * 1e3:.0f} ms = {flops / seconds / 1e12:.3f} TFLOP/s; '
              f'MFU: no GPU peak applies on the {dev.type.upper()}')
        return flops
    gpu = torch.cuda.get_device_name(dev)
    peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in gpu), None)
    line = f'  TeCoA step: {flops / 1e12:.2f} TFLOP in {seconds * 1e3:.0f} ms = {flops / seconds / 1e12:.0f} TFLOP/s'
    print(line + (f', MFU {flops / seconds / peak:.1%} of {peak / 1e12:.0f} TFLOP/s ({gpu})' if peak else f' ({gpu}: peak unknown)'))
    return flops


def evaluation(base, spec, batches, n, dev, sync, early_stop=True, steps=100):
    """PGD-100 (`steps`) at 1/255 in fp32: evaluation's attack against the reference's, on the same images and starts.
    On random images or weights every image is misclassified at once, so there both attack every image for all steps."""
    x = torch.cat([b[0] for b in batches])[:n]; y = torch.cat([b[1] for b in batches])[:n]
    clf = ZeroShotClassifier.from_dataset(base, spec)
    ref = Reference(base, bank_texts(spec.classnames, spec.templates)); ref.model.eval()
    eps, alpha = 1 / 255, 0.25 / 255
    start = random_start(x, eps, 'linf', torch.Generator(device=dev).manual_seed(0))
    sync(); t0 = time.perf_counter()
    x_ours = pgd(CrossEntropy(clf, y), x, eps, steps, alpha, model=base.model, start=start, track_best=early_stop)
    sync(); t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    x_ref = ref.pgd(lambda xa: F.cross_entropy(ref.logits(xa), y), x, eps, steps, alpha, start)
    sync(); t_ref = time.perf_counter() - t0
    with torch.no_grad():
        acc_ours, acc_ref = ((clf(xa).argmax(-1) == y).float().mean().item() for xa in (x_ours, x_ref))
    label = f'PGD-{steps} evaluation (fp32)' if early_stop else f'PGD-{steps}, all steps (fp32)'
    print(f"{label:34s} {len(x) / t_ours:14.1f} {len(x) / t_ref:16.1f} {t_ref / t_ours:6.2f}x"
          f"  robust accuracy {acc_ours:.1%} / {acc_ref:.1%}, n={len(x)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog='examples:\n' + '\n\n'.join(__doc__.split('\n\n')[1:3]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', choices=['embedded', 'vit', 'cpu', 'gpu'],
                    help='run only the embedded model (on the CPU; old name: cpu) or only ViT-B/32 (old name: gpu)')
    ap.add_argument('--batch', type=int, default=64, help='embedded model batch (the suite default)')
    ap.add_argument('--steps', type=int, default=6, help='batches per workload, at least 2 (the first one is a warm-up); the '
                    "embedded model's imagenet run always takes 3")
    ap.add_argument('--eval-n', type=int, help='images attacked in the evaluation workload (default: 128 for the embedded '
                    'model, half of it on its imagenet run; 256 for ViT-B/32)')
    ap.add_argument('--eval-steps', type=int, default=100, help='PGD steps of the evaluation workload (default 100)')
    ap.add_argument('--cpu-bf16', action='store_true', help="train saft-nb's side of the embedded model under bf16 autocast too")
    ap.add_argument('--vit-device', choices=['cuda', 'cpu'], default='cuda',
                    help='where the ViT-B/32 part runs (default cuda); cpu rehearses it: give a tiny batch and --vit-classes')
    ap.add_argument('--vit-batch', '--gpu-batch', type=int, default=128, help='ViT-B/32 batch (default 128)')
    ap.add_argument('--vit-classes', type=int, help="ViT-B/32: keep the first N (2 to 1000) of ImageNet's 1000 classes (default all)")
    args = ap.parse_args()
    only = {'cpu': 'embedded', 'gpu': 'vit'}.get(args.only, args.only)
    if args.steps < 2: ap.error('--steps must be at least 2: the first batch is a warm-up')
    if args.vit_classes is not None and not 2 <= args.vit_classes <= 1000:   # cross-entropy over 1 class is 0
        ap.error('--vit-classes must be between 2 and 1000')
    torch.manual_seed(0)
    print(f'# saft-nb speed benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}'
          + (f', {torch.cuda.get_device_name()}' if torch.cuda.is_available() else ', no GPU'))
    if only != 'vit':
        eval_n = 128 if args.eval_n is None else args.eval_n
        run('cpu', None, 'suite-shape', args.batch, args.steps, eval_n, args.cpu_bf16, eval_steps=args.eval_steps)
        # the same model facing the papers' prompt counts (1000 prompts: TeCoA on ImageNet, SAFT on TinyImageNet)
        run('cpu', None, 'imagenet', args.batch, 3, max(eval_n // 2, 1), args.cpu_bf16, eval_steps=args.eval_steps)
    if only != 'embedded':
        eval_n = 256 if args.eval_n is None else args.eval_n
        vit = lambda device: run(device, 'ViT-B-32', 'imagenet', args.vit_batch, args.steps, eval_n, True,
                                 classes=args.vit_classes, eval_steps=args.eval_steps)
        if args.vit_device == 'cpu': vit('cpu')
        elif torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = False   # the reference's fp32 is real fp32
            vit('cuda')
        else: print('\nNo GPU here: the ViT-B/32 part needs one (--vit-device cpu rehearses it on the CPU).')


if __name__ == '__main__':
    main()
