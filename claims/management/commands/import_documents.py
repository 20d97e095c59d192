"""Import source documents from text files or folders of *.txt files, all or nothing."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from claims.management.acting import acting_user, add_as_argument
from claims.reanchor import NEEDS_RECHECK
from claims.services import DocumentRefused, document_check_file, document_import_file

# Above this many files a progress bar replaces the per-file lines.
PROGRESS_BAR_ABOVE = 20


class Command(BaseCommand):
    help = (
        "Import UTF-8 text files (or every *.txt file in the given folders) as source documents. "
        "Re-importing an unchanged file does nothing; a changed file becomes a new version. "
        "Every file is checked before anything is written: one bad file and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Text files or folders of *.txt files.")
        add_as_argument(parser)

    def handle(self, *args, paths: list[Path], verbosity: int = 1, as_user: str | None = None, **options):
        files = self._collect(paths)
        # Validate everything first so a bad file stops the run before any write.
        for path in files:
            try:
                document_check_file(path)
            except DocumentRefused as exc:
                raise CommandError(f"{exc.message} (nothing was imported)") from exc

        by = acting_user(as_user)
        per_file = verbosity >= 1 and len(files) <= PROGRESS_BAR_ABOVE
        results = []
        with transaction.atomic():
            progress = tqdm(
                files,
                desc="Importing",
                unit="file",
                file=sys.stderr,
                disable=verbosity < 1 or per_file,
            )
            for path in progress:
                try:
                    result = document_import_file(path=path, by=by)
                except DocumentRefused as exc:  # the file changed since it was checked
                    raise CommandError(f"{exc.message} (nothing was imported)") from exc
                results.append(result)
                if per_file:
                    label = result.status.replace("_", " ")
                    self.stdout.write(f"{label:<12} {path} -> document {result.document.pk}")
                if result.reanchoring is not None and verbosity >= 1:
                    self._report_reanchoring(result.reanchoring)

        counts = Counter(result.status for result in results)
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(results)} document{'s' if len(results) != 1 else ''}: {counts['created']} created, "
                    f"{counts['unchanged']} unchanged, {counts['new_version']} new versions"
                )
            )

    def _report_reanchoring(self, report) -> None:
        if not report.entries:
            return
        self.stdout.write(f"  {report.summary()}")
        for entry in report.entries:
            if entry.outcome.state in NEEDS_RECHECK:
                quote = entry.old_exact if len(entry.old_exact) <= 60 else entry.old_exact[:57] + "..."
                self.stdout.write(
                    self.style.WARNING(
                        f"  {entry.outcome.state}: {entry.kind} of claim {entry.claim.slug}: {quote!r} "
                        f"({entry.outcome.reason})"
                    )
                )
        for recheck in report.rechecks:
            self.stdout.write(self.style.WARNING(f"  re-check opened: claim {recheck.claim.slug}: {recheck.detail}"))

    def _collect(self, paths: list[Path]) -> list[Path]:
        files: list[Path] = []
        for path in paths:
            if path.is_symlink():
                # A link would publish whatever file it points at, anywhere the operator can read.
                raise CommandError(f"{path}: is a symbolic link; give the file itself")
            if path.is_dir():
                found = sorted(p for p in path.glob("*.txt") if p.is_file() or p.is_symlink())
                if not found:
                    raise CommandError(f"{path}: the folder has no *.txt files")
                folder = path.resolve()
                for file in found:
                    if file.is_symlink() or not file.resolve().is_relative_to(folder):
                        raise CommandError(f"{file}: is a symbolic link or lies outside {path}; nothing was imported")
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or folder")
        seen: dict[str, Path] = {}
        unique: list[Path] = []
        for path in files:
            other = seen.get(path.name)
            if other is not None and other.resolve() != path.resolve():
                # Documents are versioned by file name; two different files with one name
                # in a single run would make one silently supersede the other.
                raise CommandError(
                    f"{path}: another file in this run has the same name ({other}); import them separately"
                )
            if other is None:
                seen[path.name] = path
                unique.append(path)
        return unique
