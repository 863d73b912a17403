"""Load a protocol file, validate all of it, and report every problem at once.

Each problem names its place in the file (``criteria.inclusion[10] (I11).rule.rules[0].field``),
says what is wrong and how to fix it. Nothing is half-loaded: a file either gives a complete,
frozen :class:`~oncotrial.protocol.model.Protocol` or raises :class:`ProtocolError`.

This module reads files, so it sits at the edge of the protocol package; the model itself is
pure. The bundled protocols are package data read with :mod:`importlib.resources`.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from oncotrial.errors import ProtocolError, ProtocolProblem
from oncotrial.protocol._problems import closest
from oncotrial.protocol.model import Protocol

__all__ = [
    "BUNDLED",
    "bundled_protocol_path",
    "every_problem",
    "load_bundled_protocol",
    "load_protocol",
    "parse_protocol",
]

#: Bundled protocol files by registry id.
BUNDLED: dict[str, str] = {"NCT06478927": "nct06478927.yaml"}


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last).

    It uses libyaml's parser when PyYAML was built with it (several times faster)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"key {key!r} appears twice (lines {seen[key] + 1} and "
                f"{key_node.start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def bundled_protocol_path(registry_id: str = "NCT06478927") -> Path:
    """Path of a bundled protocol file.

    >>> bundled_protocol_path().name
    'nct06478927.yaml'
    """
    try:
        name = BUNDLED[registry_id]
    except KeyError:
        raise ProtocolError(registry_id, [ProtocolProblem(
            "registry_id", f"no bundled protocol {registry_id!r}",
            f"Bundled: {', '.join(BUNDLED)}. Pass a file path instead.")]) from None
    return Path(str(resources.files("oncotrial.protocol") / "data" / name))


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol YAML (or JSON) file.

    Raises:
        ProtocolError: the file is missing, is not YAML, or fails validation; ``problems``
            lists every problem found.

    >>> p = load_protocol(bundled_protocol_path())
    >>> p.study.registry_id, p.enrolment.target
    ('NCT06478927', 22)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProtocolError(str(path), [ProtocolProblem(
            "(file)", "the file does not exist", "Check the path.")]) from None
    except UnicodeDecodeError:
        raise ProtocolError(str(path), [ProtocolProblem(
            "(file)", "the file is not UTF-8 text", "Save it as UTF-8 YAML.")]) from None
    return parse_protocol(text, source=str(path))


def parse_protocol(text: str, *, source: str = "<protocol>") -> Protocol:
    """Validate protocol YAML given as text. See :func:`load_protocol`."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        detail = getattr(exc, "problem", None) or str(exc)
        raise ProtocolError(source, [ProtocolProblem(
            where, f"not valid YAML: {detail}",
            "Check indentation and quoting around this line.")]) from None
    if not isinstance(data, dict):
        raise ProtocolError(source, [ProtocolProblem(
            "(file)", "the file must hold a mapping of sections (study:, design:, ...)",
            "Start from the bundled protocol as a template.")])
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(source, _all_problems(exc, data)) from None


@lru_cache(maxsize=8)
def load_bundled_protocol(registry_id: str = "NCT06478927") -> Protocol:
    """The bundled protocol (validated once per process; the model is frozen).

    >>> load_bundled_protocol().intervention.dose_levels_mg()
    [125.0, 100.0, 75.0]
    """
    return load_protocol(bundled_protocol_path(registry_id))


# --- turning pydantic errors into problems a protocol author can act on ---------------------

_RULE_KINDS = frozenset(
    {"attest", "range", "one_of", "compare", "date_window", "check", "all_of", "any_of"})


def _all_problems(exc: ValidationError, data: dict[str, Any]) -> list[ProtocolProblem]:
    """Every problem of a protocol file (see :func:`every_problem`)."""
    return every_problem(Protocol.model_validate, exc, data, _problems, _strip_tags)


def every_problem(validate: Callable[[Any], object], exc: ValidationError,
                  data: dict[str, Any],
                  problems_of: Callable[[ValidationError, dict[str, Any]],
                                        list[ProtocolProblem]],
                  loc_of: Callable[[Any], tuple[int | str, ...]] = tuple
                  ) -> list[ProtocolProblem]:
    """Every problem, including those hidden behind unknown keys.

    pydantic skips a section's cross-field checks (a starting dose that is not a dose level)
    while any field of that section fails. Unknown keys are the commonest such failure, and
    dropping them cannot change what the other fields mean, so the file is validated again
    (with ``validate``) without them and any further problems are added. The forms loader
    uses it too.
    """
    problems = problems_of(exc, data)
    current = copy.deepcopy(data)
    for _ in range(5):
        unknown = [loc_of(e["loc"]) for e in exc.errors(include_url=False)
                   if e["type"] == "extra_forbidden"]
        if not unknown or not all(_drop(current, loc) for loc in unknown):
            break
        try:
            validate(current)
            break
        except ValidationError as again:
            exc = again
            seen = {(p.path, p.message) for p in problems}
            problems += [p for p in problems_of(again, data)
                         if (p.path, p.message) not in seen]
    return problems


def _drop(data: Any, loc: tuple[int | str, ...]) -> bool:
    """Delete the key at ``loc`` from nested dicts and lists; False when it is not there."""
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[ProtocolProblem]:
    problems: list[ProtocolProblem] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        loc = _strip_tags(error["loc"])
        path = _format_path(loc, data)
        message, hint = _explain(error, loc)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(ProtocolProblem(path, message, hint))
    return problems


def _strip_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the discriminator tags pydantic inserts (``rule.compare.field`` -> ``rule.field``)."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        previous = loc[i - 1] if i else None
        if (isinstance(part, str) and part in _RULE_KINDS
                and (previous == "rule" or isinstance(previous, int))):
            continue
        out.append(part)
    return tuple(out)


def _format_path(loc: tuple[int | str, ...], data: Any) -> str:
    text = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = None
            if isinstance(node, dict):
                label = node.get("id") or node.get("code")
            if isinstance(label, str):
                text += f" ({label})"
        else:
            text += ("." if text else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(file)"


def _explain(error: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    field = str(loc[-1]) if loc else ""
    if kind == "protocol":
        return str(ctx.get("message", error["msg"])), str(ctx.get("hint", ""))
    if kind == "missing":
        return f"required key {field!r} is missing", f"Add '{field}:' to this section."
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        hint = f"Remove it or correct its spelling. {closest(field, allowed)}" if allowed else (
            "Remove it or correct its spelling.")
        return f"unknown key {field!r}", hint
    if kind == "literal_error":
        return f"value {error.get('input')!r} is not allowed", f"Use one of: {ctx.get('expected')}."
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return ("rule has no valid 'kind'",
                f"Use one of: {', '.join(sorted(_RULE_KINDS))}.")
    if kind.startswith(("int_", "float_")):
        return f"{error['msg'].lower()} (got {error.get('input')!r})", "Enter a number."
    if kind.startswith("date"):
        return f"{error['msg'].lower()} (got {error.get('input')!r})", "Write dates as YYYY-MM-DD."
    if kind.startswith(("greater_than", "less_than")):
        return f"{error['msg'].lower()} (got {error.get('input')!r})", "Correct the value."
    if kind == "string_pattern_mismatch":
        return (f"{error.get('input')!r} does not have the expected form",
                f"It must match {ctx.get('pattern')}.")
    if kind in ("too_short", "too_long"):
        return error["msg"].lower(), "Add the missing items." if kind == "too_short" else ""
    return str(error["msg"]), "Correct the value."


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at ``loc`` (walking the model types), or [] when unknown."""
    current: Any = Protocol
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """list[X] -> X, X | None -> X; rule unions are left as they are."""
    while True:
        origin = get_origin(tp)
        if origin is list or origin is typing.Annotated:
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(models) != 1:
                return tp
            tp = models[0]
        else:
            return tp
