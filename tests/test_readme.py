"""README.md's commands, as a user copies them (tools/readme_commands.py extracts them; CI runs the first block, the
install and the main job, in full): every notebook they name exists and declares every `-p` they give, no two
sections write the same output notebook or run folder, the command-line ones parse, and the real-path dry run runs
as written on a machine without the data or the weights and says what is missing."""
import shlex, subprocess, sys
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
from readme_commands import page_blocks, readme_blocks


def _commands(*starts, blocks=None) -> list[list[str]]:
    return [shlex.split(c) for block in (readme_blocks() if blocks is None else blocks) for c in block if c.startswith(starts)]


def _notebook_commands(blocks=None) -> list[tuple[Path, str, dict, list]]:
    "(notebook, output, {-p name: value}, -y texts) of every `saft-nb run` and `papermill` command (README's by default)."
    found = []
    for words in _commands('saft-nb run ', 'papermill ', blocks=blocks):
        words = words[2:] if words[0] == 'saft-nb' else words[1:]
        positional, parameters, yaml, i = [], {}, [], 0
        while i < len(words):
            if words[i] in ('-p', '--parameters'): parameters[words[i + 1]] = words[i + 2]; i += 3
            elif words[i] in ('-y', '--parameters-yaml'): yaml.append(words[i + 1]); i += 2
            else: positional.append(words[i]); i += 1
        found.append((ROOT / positional[0], positional[1], parameters, yaml))
    return found


def test_every_notebook_command_names_a_notebook_and_only_its_parameters():
    commands = _notebook_commands() + [c for blocks in page_blocks().values() for c in _notebook_commands(blocks)]
    assert len(commands) >= 15, commands
    for notebook, _, parameters, yaml in commands:
        assert notebook.is_file(), notebook
        declared = pm.inspect_notebook(str(notebook))
        unknown = [name for name in parameters if name not in declared]
        assert not unknown, f"{notebook.name} does not declare {unknown}"
        for text in yaml: assert text.split(':')[0] in declared, (notebook.name, text)


def test_no_two_sections_write_the_same_output_notebook_or_run_folder():
    commands = _notebook_commands()
    outputs = [output for _, output, _, _ in commands]
    assert len(outputs) == len(set(outputs)), sorted(o for o in outputs if outputs.count(o) > 1)
    written = [p['run_dir'] for _, _, p, _ in commands if 'run_dir' in p] + [p['out'] for _, _, p, _ in commands if 'out' in p]
    assert len(written) == len(set(written)), written


def test_the_command_line_commands_parse():
    from saft_nb.evaluate import _cli_parser as evaluate_parser
    from saft_nb.train import _cli_parser as train_parser
    commands = _commands('torchrun ', 'saft-nb train ', 'saft-nb evaluate ', 'saft-train ', 'saft-evaluate ')
    assert commands, 'the README shows no command-line run'
    for words in commands:
        module = next((w for w in words if w.startswith('saft_nb.')), None) or words[1 if words[0] == 'saft-nb' else 0]
        args = words[words.index(module) + 1:]
        (evaluate_parser() if 'evaluate' in module else train_parser()).parse_args(args)   # an unknown option exits


def test_the_real_path_dry_run_runs_as_written_and_lists_what_is_missing():
    dry = next(c for block in readme_blocks() for c in block if 'dry_run True' in c)
    done = subprocess.run(dry, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert 'Missing on this machine (3)' in done.stderr and "SAFT needs class descriptions" in done.stderr, done.stderr
    assert 'Traceback' not in done.stderr and 'TCP' not in done.stderr


def test_the_readme_tables_link_every_paper_and_code():
    from make_readme import defenses_summary, methods_table
    from saft_nb.methods import METHODS
    table = methods_table()
    for cls in METHODS.values():
        if not cls.__module__.startswith('saft_nb.'): continue   # a plugin registered by another test
        assert (f']({cls.paper_url})' in table) == bool(cls.paper_url), cls
        assert (f'[code]({cls.code_url})' in table) == bool(cls.code_url), cls
    assert '[ttc](https://arxiv.org/abs/2503.03613)' in defenses_summary()
