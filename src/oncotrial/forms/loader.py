"""Load a forms file, validate all of it, and report every problem at once.

Each problem names its place in the file (``forms[3] (haematology).sections[0] (main).items[2]
(anc).units[1]``), says what is wrong and how to fix it. A file either gives a complete, frozen
:class:`~oncotrial.forms.model.FormSet` or raises :class:`~oncotrial.errors.ProtocolError`.

With a protocol, the file is also checked against it: ``protocol`` is the protocol's registry
id, and every schedule key is one of its visit codes (or ``UNS``, an unscheduled visit).

The forms file of a protocol lies beside it: ``<protocol stem>.forms.yaml``
(:func:`forms_path_for`). This module reads files, so it sits at the edge of the package;
the model itself is pure.
"""

from __future__ import annotations

import types
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from oncotrial.errors import ProtocolError, ProtocolProblem
from oncotrial.forms._targets import closest
from oncotrial.forms.model import UNSCHEDULED, FormSet
from oncotrial.protocol import Protocol, bundled_protocol_path, load_bundled_protocol
from oncotrial.protocol.loader import every_problem

__all__ = [
    "forms_path_for",
    "load_bundled_forms",
    "load_forms",
    "parse_forms",
    "protocol_path_for",
    "protocol_problems",
]

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


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


def forms_path_for(protocol_path: str | Path) -> Path:
    """The forms file that belongs to a protocol file: ``<stem>.forms.yaml`` beside it.

    >>> forms_path_for("trials/nct06478927.yaml").as_posix()
    'trials/nct06478927.forms.yaml'
    """
    path = Path(protocol_path)
    return path.with_name(f"{path.stem}.forms.yaml")


def protocol_path_for(forms_path: str | Path) -> Path:
    """The protocol file a forms file belongs to (the inverse of :func:`forms_path_for`).

    >>> protocol_path_for("trials/nct06478927.forms.yaml").as_posix()
    'trials/nct06478927.yaml'
    """
    path = Path(forms_path)
    return path.with_name(path.name.removesuffix(".forms.yaml") + ".yaml")


def load_forms(path: str | Path, protocol: Protocol | None = None) -> FormSet:
    """Read and validate a forms file; with ``protocol``, check it against the protocol too.

    Raises:
        ProtocolError: the file is missing, is not YAML, or fails validation; ``problems``
            lists every problem found.
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
    return parse_forms(text, str(path), protocol)


def parse_forms(text: str, source: str = "<forms>", protocol: Protocol | None = None) -> FormSet:
    """Validate forms YAML given as text. See :func:`load_forms`.

    >>> parse_forms("forms_version: 2", "demo.forms.yaml")
    Traceback (most recent call last):
    ...
    oncotrial.errors.ProtocolError: demo.forms.yaml has 6 problems:
      - forms_version: value 2 is not allowed Use one of: 1.
      ...
    """
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
            "(file)", "the file must hold a mapping (forms_version:, protocol:, forms:, ...)",
            "Start from the bundled forms file as a template.")])
    against = [] if protocol is None else [
        ProtocolProblem(_format_path(loc, data), message, hint)
        for loc, message, hint in _against(data.get("protocol"), data.get("schedule"), protocol)]
    try:
        forms = FormSet.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(source, _all_problems(exc, data) + against) from None
    if against:
        raise ProtocolError(source, against)
    return forms


Problem = tuple[tuple[str | int, ...], str, str]


def protocol_problems(forms: FormSet, protocol: Protocol) -> list[Problem]:
    """The problems of ``forms`` against ``protocol``: its registry id and its visit codes,
    each as (place in the file, what is wrong, how to fix it)."""
    return _against(forms.protocol, forms.schedule, protocol)


def _against(protocol_id: object, schedule: object, protocol: Protocol) -> list[Problem]:
    found: list[Problem] = []
    registry_id = protocol.study.registry_id
    if isinstance(protocol_id, str) and protocol_id != registry_id:
        found.append((("protocol",), f"the forms are for {protocol_id!r}, but the protocol "
                      f"is {registry_id!r}", f"Set protocol: {registry_id}, or load the forms "
                      "file of that protocol."))
    codes = [v.code for v in protocol.visits]
    for code in schedule if isinstance(schedule, dict) else {}:
        if code not in codes and code != UNSCHEDULED:
            found.append((("schedule", code), f"{code!r} is not a visit of protocol "
                          f"{registry_id}", closest(str(code), [*codes, UNSCHEDULED])))
    return found


@lru_cache(maxsize=8)
def load_bundled_forms(registry_id: str = "NCT06478927") -> FormSet:
    """The bundled forms of a bundled protocol, checked against that protocol (validated once
    per process; the model is frozen).

    Raises:
        ProtocolError: there is no bundled protocol ``registry_id``, or its forms file is
            missing or invalid.
    """
    protocol = load_bundled_protocol(registry_id)
    return load_forms(forms_path_for(bundled_protocol_path(registry_id)), protocol)


# --- turning pydantic errors into problems a forms author can act on ------------------------


def _all_problems(exc: ValidationError, data: dict[str, Any]) -> list[ProtocolProblem]:
    """Every problem, including those hidden behind unknown keys (validated again without
    them, since the checks across the file only run once every field is valid)."""
    return every_problem(FormSet.model_validate, exc, data, _problems)


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[ProtocolProblem]:
    problems: list[ProtocolProblem] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path = _format_path(loc, data)
        message, hint = _explain(error, loc)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(ProtocolProblem(path, message, hint))
    return problems


def _format_path(loc: tuple[int | str, ...], data: Any) -> str:
    """``forms[3] (haematology).sections[0] (main).items[2] (anc).units`` from a loc."""
    text = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = node.get("id") or node.get("code") if isinstance(node, dict) else None
            if isinstance(label, str):
                text += f" ({label})"
        else:
            text += ("." if text else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(file)"


def _explain(error: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    field = str(loc[-1]) if loc else ""
    if kind == "forms":
        return str(ctx.get("message", error["msg"])), str(ctx.get("hint", ""))
    if kind == "missing":
        return f"required key {field!r} is missing", f"Add '{field}:' here."
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        hint = "Remove it or correct its spelling."
        return f"unknown key {field!r}", f"{hint} {closest(field, allowed)}" if allowed else hint
    if kind == "literal_error":
        return f"value {error.get('input')!r} is not allowed", f"Use one of: {ctx.get('expected')}."
    if kind in ("string_type", "str_type"):
        return (f"expected text, got {error.get('input')!r}",
                "Put it in quotes: YAML reads yes, no, on, off as true/false and 1.0 as a number.")
    if kind.startswith(("int_", "float_", "bool_")):
        return f"{error['msg'].lower()} (got {error.get('input')!r})", "Correct the value."
    if kind == "string_pattern_mismatch":
        return (f"{error.get('input')!r} is not a snake_case id",
                "Use lower-case letters, digits and _, starting with a letter.")
    if kind in ("too_short", "too_long", "string_too_short"):
        return error["msg"].lower(), "Add the missing entries." if "short" in kind else ""
    return str(error["msg"]), "Correct the value."


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at ``loc`` (walking the model types), or [] when unknown."""
    current: Any = FormSet
    for part in loc:
        current = _unwrap(current)
        if get_origin(current) is dict:
            current = get_args(current)[1]
            continue
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = info.annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """list[X] -> X, X | None -> X."""
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
