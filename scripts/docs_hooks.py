"""MkDocs hook (mkdocs.yml ``hooks:``): a page line ``<!-- methods: STAGE -->`` becomes the
reference of every method registered for that stage, generated from the registry: the
name a methodology uses, its parameters with their types, defaults and constraints, and
the kernel's docstring (formula, citation) rendered by mkdocstrings. A line ``<!-- cli -->``
becomes the command line's reference, from the typer app itself."""

from __future__ import annotations

import inspect
import re

MARK = re.compile(r"^<!-- methods: (\w+) -->$", re.M)
CLI = "<!-- cli -->"


def constraint_text(check) -> str:
    """What a declared constraint accepts, in words."""
    from fintech_index.methods import contracts

    if isinstance(check, contracts.Interval):
        return f"a number {check.describe()}".strip()
    if isinstance(check, contracts.Pair):
        parts = ["a < b"] if check.increasing else []
        parts += [f"{end} {constraint_text(c).removeprefix('a number ')}"
                  for end, c in (("a", check.first), ("b", check.second)) if c is not None]
        return "two numbers [a, b]" + (f", {', '.join(parts)}" if parts else "")
    if isinstance(check, contracts.Each):
        return "a list, each element " + constraint_text(check.check).removeprefix("a ")
    return check(object()) or ""


def _cell(v) -> str:
    return str(v).replace("|", "\\|")


def method_reference(stage: str) -> str:
    """Markdown for every kernel of ``stage`` from the package's own modules."""
    import fintech_index.examples  # noqa: F401  (registers the examples' kernels too)
    from fintech_index import methods

    out = []
    for name in methods.available(stage):
        k = methods.get(stage, name)
        if not k.fn.__module__.startswith("fintech_index.methods"):
            continue
        out.append(f"## `{name}` {{#{stage}-{name}}}\n")
        if k.params:
            out.append("| parameter | type | default | accepted |\n|---|---|---|---|")
            for p, spec in k.params.items():
                default = "required" if spec.default is inspect.Parameter.empty else \
                    f"`{spec.default!r}`"
                check = k.constraints.get(p)
                out.append(f"| `{p}` | `{_cell(spec.annotation)}` | {_cell(default)} | "
                           f"{_cell(constraint_text(check)) if check else ''} |")
            out.append("")
        else:
            out.append("No parameters.\n")
        out.append(f"::: {k.fn.__module__}.{k.fn.__name__}\n"
                   "    options:\n      show_root_heading: false\n"
                   "      show_signature: true\n      show_source: false\n")
    return "\n".join(out)


def cli_reference() -> str:
    """Markdown for every command and subcommand: usage, help and options."""
    import click
    from typer.main import get_command

    from fintech_index.cli import app

    out = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        ctx = click.Context(cmd, info_name=" ".join(path))
        if path[1:]:
            out.append(f"## `{' '.join(path)}`\n")
            out.append(f"```\n{cmd.get_usage(ctx)}\n```\n")
            out.append((cmd.help or "").strip().split("\f")[0] + "\n")
            rows = [p.get_help_record(ctx) for p in cmd.get_params(ctx)]
            rows = [r for r in rows if r is not None]
            if rows:
                out.append("| option | what it does |\n|---|---|")
                out.extend(f"| `{_cell(opt)}` | {_cell(' '.join(text.split()))} |"
                           for opt, text in rows)
                out.append("")
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            if not sub.hidden:
                walk(sub, [*path, name])

    walk(get_command(app), ["fintech-index"])
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs) -> str:
    if CLI in markdown:
        markdown = markdown.replace(CLI, cli_reference())
    return MARK.sub(lambda m: method_reference(m.group(1)), markdown)
