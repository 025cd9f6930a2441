"""Read the content files into validated models, collecting every problem with its file and path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from content.schema import (
    DRAFT_LOCALES,
    LOCALES,
    PHASES,
    PROVIDER_KINDS,
    Glossary,
    ItemCatalogue,
    Phase,
    Provider,
    Text,
)

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Content:
    root: Path
    providers: dict[str, Provider]
    catalogue: ItemCatalogue
    ui: dict[str, Text]
    glossary: Glossary | None = None  # None only when glossary.yaml did not load (reported as a problem)
    files: dict[str, str] = field(default_factory=dict)  # provider id -> file it came from
    items_file: str = "items.yaml"
    glossary_file: str = "glossary.yaml"
    ui_dir: str = "ui"

    def text(self, key: str, locale: str, **values: object) -> str:
        return self.ui[key][locale].format(**values)

    def grouped_providers(self) -> list[tuple[str, list[Provider]]]:
        return [
            (kind, [p for p in self.providers.values() if p.kind == kind])
            for kind in PROVIDER_KINDS
            if any(p.kind == kind for p in self.providers.values())
        ]

    def items_by_phase(self, item_ids: list[str]) -> list[tuple[Phase, list[str]]]:
        """The items in phase order, each phase with its items in the procedure's order; empty phases left
        out. The bot's summary and the web page's checklist both group this way."""
        groups = [(phase, [i for i in item_ids if self.catalogue.items[i].phase == phase]) for phase in PHASES]
        return [(phase, ids) for phase, ids in groups if ids]


def format_loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(_relative(path, root), "", f"cannot read: {exc}"))
        return None


def _validation_problems(exc: ValidationError, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        # RootModel text errors carry a trailing marker that means nothing to an editor.
        loc = [p for p in err["loc"] if p not in ("__root__",)]
        message = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(file, format_loc(loc), message))
    return problems


def _load_ui(ui_dir: Path, root: Path, problems: list[Problem]) -> dict[str, Text]:
    per_locale: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        path = ui_dir / f"{locale}.yaml"
        file = _relative(path, root)
        if not path.exists():
            problems.append(Problem(file, "", "missing UI strings file for this locale"))
            continue
        data = _read_yaml(path, root, problems)
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            problems.append(Problem(file, "", "expected a flat mapping of message id to text"))
            continue
        per_locale[locale] = {str(k): v for k, v in data.items()}
    keys = sorted(set().union(*per_locale.values())) if per_locale else []
    drafts = _draft_ui(ui_dir, root, problems)
    for loc, strings in drafts.items():
        for key in sorted(set(strings) - set(keys)):
            problems.append(Problem(_relative(ui_dir / f"{loc}.yaml", root), key, "no such message id"))
    ui: dict[str, Text] = {}
    for key in keys:
        for loc, strings in per_locale.items():
            if not (strings.get(key) or "").strip():
                problems.append(Problem(_relative(ui_dir / f"{loc}.yaml", root), key, f"missing translation ({loc})"))
        if all((s.get(key) or "").strip() for s in per_locale.values()) and len(per_locale) == len(LOCALES):
            translated = {loc: strings[key] for loc, strings in drafts.items() if key in strings}
            ui[key] = Text({**{loc: per_locale[loc][key] for loc in LOCALES}, **translated})
    return ui


def _draft_ui(ui_dir: Path, root: Path, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """UI strings of the locales being translated: each file optional, each key optional."""
    drafts: dict[str, dict[str, str]] = {}
    for locale in DRAFT_LOCALES:
        path = ui_dir / f"{locale}.yaml"
        if not path.exists():
            continue
        data = _read_yaml(path, root, problems)
        if not isinstance(data, dict) or not all(isinstance(v, str) and v.strip() for v in data.values()):
            problems.append(Problem(_relative(path, root), "", "expected a flat mapping of message id to text"))
            continue
        drafts[locale] = {str(k): v for k, v in data.items()}
    return drafts


def _read_glossary(path: Path, root: Path, problems: list[Problem]) -> Glossary | None:
    if not path.exists():
        problems.append(Problem(_relative(path, root), "", "missing file"))
        return None
    raw = _read_yaml(path, root, problems)
    if raw is None:
        return None
    try:
        return Glossary.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, _relative(path, root)))
        return None


def read_content(root: Path = DATA_DIR) -> tuple[Content | None, list[Problem]]:
    """Parse and validate every file under `root`; returns the content (if it parsed) and the problems."""
    problems: list[Problem] = []
    ui = _load_ui(root / "ui", root, problems)

    catalogue: ItemCatalogue | None = None
    items_path = root / "items.yaml"
    raw_items = _read_yaml(items_path, root, problems) if items_path.exists() else None
    if not items_path.exists():
        problems.append(Problem(_relative(items_path, root), "", "missing item catalogue"))
    elif raw_items is not None:
        try:
            catalogue = ItemCatalogue.model_validate(raw_items)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, _relative(items_path, root)))

    glossary_path = root / "glossary.yaml"
    glossary = _read_glossary(glossary_path, root, problems)

    providers: dict[str, Provider] = {}
    files: dict[str, str] = {}
    for path in sorted((root / "providers").glob("*.yaml")):
        file = _relative(path, root)
        raw = _read_yaml(path, root, problems)
        if raw is None:
            continue
        try:
            provider = Provider.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, file))
            continue
        if provider.id in providers:
            problems.append(Problem(file, "id", f"provider {provider.id!r} is already defined in {files[provider.id]}"))
            continue
        if path.stem != provider.id:
            problems.append(Problem(file, "id", f"file name should match the provider id {provider.id!r}"))
        providers[provider.id] = provider
        files[provider.id] = file
    if not providers and not problems:
        problems.append(Problem(_relative(root / "providers", root), "", "no provider files"))

    if catalogue is None:
        return None, problems
    ordered = dict(sorted(providers.items(), key=lambda kv: (PROVIDER_KINDS.index(kv[1].kind), kv[1].order, kv[0])))
    content = Content(
        root=root,
        providers=ordered,
        catalogue=catalogue,
        ui=ui,
        glossary=glossary,
        files=files,
        items_file=_relative(items_path, root),
        glossary_file=_relative(glossary_path, root),
        ui_dir=_relative(root / "ui", root),
    )
    return content, problems
