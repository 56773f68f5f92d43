"""Links from the book to the code: where a function or class is defined (file and line
of its ``def``/``class``), and the Sphinx role ``{code-link}`` that turns
``{code-link}`stgkd.distill.response.lord``` into a link to that line.

The line is found when the book is built, so the links follow the code as it moves. The
link goes to ``<repository url>/blob/<branch>/<file>#L<line>`` when the book's
``_config.yml`` sets ``repository.url``, else to the file in the source tree, relative
to the built page.
"""
from __future__ import annotations

import importlib
import inspect
import os
import re
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def resolve(target: str) -> object:
    """The object a dotted name names: ``"stgkd.distill.response.lord"`` (a function),
    ``"stgkd.prune.TaylorImportance.accumulate"`` (a method).

    Raises:
        ValueError: no module prefix of ``target`` imports, or the rest is not an
            attribute of it.
    """
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for i, name in enumerate(parts[cut:], start=cut):
            if not hasattr(obj, name):
                raise ValueError(f"target: expected a function or class, found no "
                                 f"{name!r} in {'.'.join(parts[:i])} (of {target!r})")
            obj = getattr(obj, name)
        return obj
    raise ValueError(f"target: expected a dotted name starting with a module, found {target!r}")


def source_location(target: str) -> tuple[str, int]:
    """``(file, line)`` of the ``def`` or ``class`` line of ``target`` (a dotted name, see
    :func:`resolve`): the file relative to the repository root, in POSIX form, the line
    counted from 1 (after any decorators).

    Raises:
        ValueError: ``target`` does not resolve, or is not a function, method or class
            of a source file.
    """
    obj = inspect.unwrap(resolve(target))
    if isinstance(obj, property):
        obj = obj.fget
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        raise ValueError(f"target: expected a function or class, found {target!r}, a "
                         f"{type(obj).__name__}")
    path = Path(inspect.getsourcefile(obj)).resolve()
    lines, start = inspect.getsourcelines(obj)
    name = obj.__name__
    definition = re.compile(rf"\s*(async\s+def|def|class)\s+{re.escape(name)}\b")
    offset = next((i for i, line in enumerate(lines) if definition.match(line)), 0)
    try:
        relative = path.relative_to(REPOSITORY_ROOT)
    except ValueError:
        relative = path
    return relative.as_posix(), start + offset


def code_url(target: str, repository_url: str = "", branch: str = "main",
             page_dir: str | Path | None = None) -> str:
    """The link to ``target``'s definition: ``<repository_url>/blob/<branch>/<file>#L<n>``,
    or without a repository URL the file relative to ``page_dir`` (the folder of the
    page that links), else to the repository root."""
    path, line = source_location(target)
    if repository_url:
        return f"{repository_url.rstrip('/')}/blob/{branch}/{path}#L{line}"
    base = Path(page_dir) if page_dir is not None else REPOSITORY_ROOT
    relative = os.path.relpath(REPOSITORY_ROOT / path, base)
    return f"{Path(relative).as_posix()}#L{line}"


def _code_link_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{code-link}`stgkd.x.y``` -> a link whose text is ``y`` and the file and line."""
    from docutils import nodes

    target = text.strip()
    env = inliner.document.settings.env
    theme = env.config.html_theme_options or {}
    page_dir = Path(env.app.outdir) / Path(env.docname).parent
    try:
        url = code_url(target, theme.get("repository_url", "") or "",
                       theme.get("repository_branch", "") or "main", page_dir)
        path, line = source_location(target)
    except ValueError as error:
        message = inliner.reporter.error(f"code-link: {error}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    node = nodes.reference(rawtext, "", refuri=url, classes=["code-link"])
    node += nodes.literal(text=target.rsplit(".", 1)[-1])
    node += nodes.Text(f" ({path}, line {line})")
    return [node], []


def setup(app):
    """Sphinx extension: the ``code-link`` role (``sphinx: extra_extensions`` in
    ``_config.yml``)."""
    app.add_role("code-link", _code_link_role)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
