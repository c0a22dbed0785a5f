"""The one report every reader fills: what it kept and what it passed over (``data.on_error=skip``), for the
log line ``<file>: <counts>[, <n> <what> skipped...][ (first: ...)]``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReadReport:
    """``read`` items kept (named ``what`` in the log: "pairs read", "sentences", ...), ``blank`` lines and
    ``malformed`` items (named ``malformed_what``) skipped, the first three problems; ``extra``: further
    counts a reader keeps, listed after ``read`` in their order ("tokens", "documents"); ``skipped``: further
    kinds of skipped items, listed between the blank and the malformed ones ("empty turns")."""

    path: str
    what: str = "rows read"
    malformed_what: str = "malformed lines"
    read: int = 0
    blank: int = 0
    malformed: int = 0
    first_malformed: list[str] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def bad(self, where: str, kind: str | None = None) -> None:
        """Count one skipped item (malformed, or of ``skipped``'s ``kind``) and keep the first three."""
        if kind is None:
            self.malformed += 1
        else:
            self.skipped[kind] += 1
        if len(self.first_malformed) < 3:
            self.first_malformed.append(where)

    def summary(self) -> str:
        text = f"{self.path}: " + ", ".join(f"{n} {what}" for what, n in ((self.what, self.read), *self.extra.items()))
        for what, count in (("blank lines", self.blank), *self.skipped.items(), (self.malformed_what, self.malformed)):
            if count:
                text += f", {count} {what} skipped"
        if self.first_malformed:
            text += f" (first: {'; '.join(self.first_malformed)})"
        return text
