#!/usr/bin/env python
"""Write the suite's text data that follows from its label spaces and feature vocabulary:

- `saft_nb/data/descriptions/suite.json`: for every class of every suite label space, at least 10 descriptions that
  compose two or more phrases of `saft_nb/data/suite/features.json` ("a shape with three corners and with a flat
  base."). Pretraining captions name one feature at a time, so no description is ever a pretraining caption: the
  descriptions are held out, and what they carry beyond the class name is what the text tower learned of each feature.
- `saft_nb/data/hierarchies/suite-scene-*.json`: the scene classes under their shapes in the two shape trees.

Sentences longer than the embedded model's text context are left out. Run it after changing the label spaces, the
features or the trees; `--check` fails if the files are not what it writes.
"""
import argparse, itertools, json, random, sys, zlib
from pathlib import Path

from open_clip.tokenizer import SimpleTokenizer

DATA = Path(__file__).resolve().parents[1] / 'saft_nb' / 'data'
NOUNS = ('a shape', 'an object', 'something')
PER_CLASS = 12        # descriptions per class (SAFT refines them to its top k = 5)
CONTEXT = 32          # the embedded model's text context (saft_nb.models.EMBEDDED_CONFIG): longer sentences are left out
_TOKENIZER = SimpleTokenizer()
ORDER = ('size', 'color', 'shape', 'background', 'position')   # the order features are named in a sentence


def load(path): return json.loads(Path(path).read_text())


def sentence(noun, phrases):
    "'{noun} {a} and {b}.' or '{noun} {a}, {b} and {c}.': always two or more phrases joined by 'and'."
    return f"{noun} {', '.join(phrases[:-1])} and {phrases[-1]}."


def fitting(features, attribute, members):
    "The phrases of `attribute` that fit every one of `members` (one value, or a superclass's values)."
    return [p for p, values in features[attribute].items() if set(members) <= set(values)]


def pick(candidates, name):
    "PER_CLASS of the candidate sentences, the same on every machine (seeded by the class name)."
    candidates = sorted(set(candidates))
    random.Random(zlib.crc32(name.encode())).shuffle(candidates)
    fit = list(itertools.islice((s for s in candidates if len(_TOKENIZER.encode(s)) + 2 <= CONTEXT), PER_CLASS))  # + start, end
    if len(fit) < 10: sys.exit(f"{name!r} has only {len(fit)} candidate descriptions that fit; add features for it.")
    return fit


def single_attribute(phrases, name):
    "Two or three of one attribute's phrases, in every noun frame."
    combos = [c for r in (2, 3) for c in itertools.combinations(phrases, r)]
    return pick([sentence(n, list(c)) for n in NOUNS for c in combos], name)


def compound(per_attribute, name):
    "One phrase per attribute, in the order of ORDER (scene and object classes)."
    attrs = sorted(per_attribute, key=ORDER.index)
    return pick([sentence(n, list(c)) for n in NOUNS for c in itertools.product(*(per_attribute[a] for a in attrs))], name)


def build():
    spaces, features = load(DATA / 'suite' / 'label_spaces.json'), load(DATA / 'suite' / 'features.json')
    values = {a: spaces[a]['classes'] for a in ('shape', 'color', 'size', 'position', 'background')}
    trees = {t: load(DATA / 'hierarchies' / f'{t}.json') for t in ('suite-shape-geometry', 'suite-shape-convexity', 'suite-color-temperature')}
    out, files = {}, {}
    for space, ls in spaces.items():
        if 'classes' in ls:                         # one attribute's values
            for c in ls['classes']: out[c] = single_attribute(fitting(features, ls['attribute'], [c]), c)
        elif 'hierarchy' in ls:                     # superclasses: the phrases that fit all their members
            children = trees[ls['hierarchy']]['children']
            for node in children[trees[ls['hierarchy']]['root']]:
                out[node] = single_attribute(fitting(features, ls['attribute'], children[node]), node)
        else:                                       # a class per combination of values
            form = ls.get('class_format', ' '.join('{%s}' % a for a in ls['attributes']))
            for combo in itertools.product(*(values[a] for a in ls['attributes'])):
                name = form.format(**dict(zip(ls['attributes'], combo)))
                out[name] = compound({a: fitting(features, a, [v]) for a, v in zip(ls['attributes'], combo)}, name)
    files[DATA / 'descriptions' / 'suite.json'] = out
    scene = spaces['scene']
    form = scene['class_format']
    for tree in ('geometry', 'convexity'):
        shape_tree = trees[f'suite-shape-{tree}']
        children = dict(shape_tree['children'])
        for shape in values['shape']:
            children[shape] = [form.format(**dict(zip(scene['attributes'], combo)))
                               for combo in itertools.product(*(values[a] if a != 'shape' else [shape] for a in scene['attributes']))]
        files[DATA / 'hierarchies' / f'suite-scene-{tree}.json'] = {
            'name': f'suite-scene-{tree}',
            'description': "The suite's scene classes, under their shapes, grouped by " + (
                'geometry.' if tree == 'geometry' else 'whether their outline is convex.'),
            'root': shape_tree['root'], 'children': children}
    return {path: json.dumps(data, indent=2, ensure_ascii=False) + '\n' for path, data in files.items()}


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='fail if a file differs from what this tool writes')
    args = parser.parse_args()
    stale = []
    for path, text in build().items():
        if args.check: stale += [path] if not path.exists() or path.read_text() != text else []
        else: path.write_text(text)
    if stale: sys.exit('Not current (run tools/make_suite_text.py): ' + ', '.join(str(p.relative_to(DATA.parents[1])) for p in stale))
