"""Load the curated entities, document metadata and claims (fixtures/claims.json), all or nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.errors import ServiceError
from claims.management.acting import acting_user, add_as_argument
from claims.models import Claim, Entity, SourceDocument
from claims.services import appearance_add, claim_create, document_update_metadata, entity_create

STRUCTURED_BLOCKS = ("wage", "contract", "knowledge", "quantity", "event")
DOCUMENT_FIELDS = ("title", "outlet", "author", "published_on", "url")


class Curation(Exception):
    """A problem in the fixture, named by where it is."""


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, KeyError):
        return f"missing {exc}"
    return str(exc)


class Command(BaseCommand):
    help = (
        "Load fixtures/claims.json: entities (by key), document metadata (by file name, latest version), "
        "claims (by key) with their appearances and structured facts. Re-running adds only what is missing: "
        "existing entities, claims and filled-in metadata are never overwritten. One bad entry and nothing "
        "is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The curated claims file, e.g. fixtures/claims.json.")
        add_as_argument(parser)

    def handle(self, *args, path: Path, verbosity: int = 1, as_user: str | None = None, **options):
        self.by = acting_user(as_user)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k, []), list) for k in ("entities", "documents", "claims")
        ):
            raise CommandError(f"{path}: expected an object with lists 'entities', 'documents' and 'claims'")
        try:
            with transaction.atomic():
                summary = self._load(data)
        except Curation as exc:
            raise CommandError(f"{path}: {exc} (nothing was loaded)") from exc
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(summary))

    def _load(self, data: dict) -> str:
        entities_created = self._entities(data.get("entities", []))
        entities = {entity.slug: entity for entity in Entity.objects.all()}
        documents, described = self._documents(data.get("documents", []))
        created, kept, appearances, blocks = [], 0, 0, 0
        for item in data.get("claims", []):
            key = item.get("key") if isinstance(item, dict) else None
            if not key:
                raise Curation(f"a claim without a key: {str(item)[:80]}")
            if Claim.objects.filter(slug=key).exists():
                kept += 1  # already loaded, or an editor's since: never overwritten
                continue
            try:
                claim, added = self._claim(item, entities, documents)
            except (ValidationError, ServiceError, KeyError, TypeError, ValueError) as exc:
                raise Curation(f"claim {key!r}: {_problem(exc)}") from exc
            created.append((claim, item))
            appearances += added
        # Structured blocks after every claim exists: a knowledge block may name another claim.
        for claim, item in created:
            present = [block for block in STRUCTURED_BLOCKS if item.get(block)]
            if not present:
                continue
            from claims.facts.services import structure_set

            for block in present:
                try:
                    structure_set(claim=claim, block=block, data=item[block], entities=entities, by=self.by)
                except (ValidationError, ServiceError, KeyError, TypeError, ValueError) as exc:
                    raise Curation(f"claim {claim.slug!r}, {block} block: {_problem(exc)}") from exc
                blocks += 1
        return (
            f"{len(entities)} entities ({entities_created} created), {len(documents)} documents "
            f"({described} with metadata filled in), {len(created) + kept} claims ({len(created)} created with "
            f"{appearances} appearances and {blocks} structured blocks, {kept} already present)"
        )

    def _entities(self, items: list) -> int:
        created = 0
        for item in items:
            key = item.get("key") if isinstance(item, dict) else None
            if not key:
                raise Curation(f"an entity without a key: {str(item)[:80]}")
            if Entity.objects.filter(slug=key).exists():
                continue
            try:
                entity_create(
                    name=item["name"],
                    kind=item["kind"],
                    slug=key,
                    description=item.get("description") or "",
                    url=item.get("url") or "",
                    by=self.by,
                )
            except (ValidationError, ServiceError, KeyError, TypeError) as exc:
                raise Curation(f"entity {key!r}: {_problem(exc)}") from exc
            created += 1
        return created

    def _documents(self, items: list) -> tuple[dict[str, SourceDocument], int]:
        latest = {doc.source_file: doc for doc in SourceDocument.objects.latest_versions()}
        described = 0
        for item in items:
            name = item.get("file") if isinstance(item, dict) else None
            document = latest.get(name)
            if document is None:
                raise Curation(f"document {name!r} is not imported; run `manage.py import_documents` first")
            values = {field: getattr(document, field) for field in DOCUMENT_FIELDS}
            try:
                # Fill in what is blank; what an editor has entered in the admin is kept.
                for field in DOCUMENT_FIELDS:
                    wanted = item.get(field)
                    if wanted and not values[field]:
                        values[field] = date.fromisoformat(wanted) if field == "published_on" else wanted
                if values != {field: getattr(document, field) for field in DOCUMENT_FIELDS}:
                    latest[name] = document_update_metadata(document=document, by=self.by, **values)
                    described += 1
            except (ValidationError, ValueError, TypeError) as exc:
                raise Curation(f"document {name!r}: {_problem(exc)}") from exc
        return latest, described

    def _claim(
        self, item: dict, entities: dict[str, Entity], documents: dict[str, SourceDocument]
    ) -> tuple[Claim, int]:
        def entity(key: str) -> Entity:
            if key not in entities:
                raise ValueError(f"unknown entity {key!r}")
            return entities[key]

        claim = claim_create(
            text=item["text"],
            kind=item["kind"],
            claimant=entity(item["claimant"]),
            entities=[entity(key) for key in item.get("entities", [])],
            slug=item["key"],
            by=self.by,
        )
        appearances = item.get("appearances") or []
        if not appearances:
            raise ValueError("no appearances: every claim is anchored in at least one document")
        for n, spot in enumerate(appearances, 1):
            document = documents.get(spot.get("document"))
            if document is None:
                raise ValueError(f"appearance {n}: unknown or not imported document {spot.get('document')!r}")
            try:
                appearance_add(
                    claim=claim, document=document, quote=spot["quote"], occurrence=spot.get("occurrence"), by=self.by
                )
            except ValidationError as exc:
                raise ValueError(f"appearance {n}: {_problem(exc)}") from exc
        return claim, len(appearances)
