"""Notice texts from Jinja2 templates, one per notice kind and language."""

from pathlib import Path

from concord_shared.enums import Language, NoticeKind
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class Renderer:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,  # a missing fact is an error, not a blank in a message
            autoescape=False,
            keep_trailing_newline=False,
        )

    def render(self, notice: NoticeKind, language: Language, facts: dict[str, str]) -> str:
        try:
            template = self._env.get_template(f"{language}/{notice}.txt.j2")
        except TemplateNotFound:
            template = self._env.get_template(f"{Language.ZH}/{notice}.txt.j2")
        return template.render(**facts).strip()
