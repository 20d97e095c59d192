"""Fill a database with a realistic archive for the benchmark: claims, documents, reviews, verdicts.

    python -m bench.generate --claims 100000     # or --quick for 2,000 claims

or, from code that has Django set up: `bench.generate.generate(claims=2000)`.

Every quote is really inside its document at the stored offsets (selectors come from
`claims.anchoring.selector_at`), every reviewed claim has two reviews with evidence, published
claims have versioned verdicts (some corrected, some retracted) and the structured facts of
their kind. Rows go in inside one transaction: on PostgreSQL with `COPY ... FROM STDIN`
(psycopg's copy protocol, ids reserved from each table's sequence first), elsewhere with
`bulk_create` in batches. COPY is what makes `--claims 1000000` fit in minutes: it skips
building and parsing an INSERT statement per batch.

History is skipped on purpose: simple_history records edits made through the services, this
archive was never edited, and no benchmarked endpoint reads the history tables. Writing a
historical row per row (`bulk_create_with_history`) would double the rows and the time.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import operator
import os
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

QUICK_CLAIMS = 2_000
DEFAULT_CLAIMS = 100_000
CLAIMS_PER_DOCUMENT = 25
SLUG_PREFIX = "bench-"

# Workflow states of the generated claims; most of an archive is published.
STATUS_WEIGHTS = {
    "draft": 3,
    "submitted": 3,
    "in_review": 4,
    "reviewed": 5,
    "published": 82,
    "retracted": 3,
}
CORRECTED_SHARE = 0.10
TWICE_CORRECTED_SHARE = 0.02
REVIEWERS_DISAGREE_SHARE = 0.2

FIRST_NAMES = [
    "Julie",
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Priya",
    "Tomasz",
    "Grace",
    "Omar",
    "Lena",
    "Marcus",
    "Sofia",
    "Kwame",
    "Hannah",
    "Diego",
    "Mei",
    "Samuel",
    "Fatima",
    "Oliver",
    "Ines",
    "Jamal",
    "Chloe",
    "Ravi",
    "Elena",
    "Noah",
    "Yara",
    "Patrick",
    "Zoe",
    "Hiroshi",
    "Amara",
    "Lucas",
    "Nadia",
    "Felix",
    "Rosa",
]
LAST_NAMES = [
    "Wood",
    "Garcia",
    "Okafor",
    "Novak",
    "Chen",
    "Patel",
    "Bauer",
    "Haddad",
    "Kowalski",
    "Moreau",
    "Silva",
    "Brennan",
    "Osei",
    "Lindqvist",
    "Tanaka",
    "Rahman",
    "Fischer",
    "Dubois",
    "Mensah",
    "Rossi",
    "Nakamura",
    "Alvarez",
    "Schmidt",
    "Ivanova",
    "Murphy",
    "Sato",
    "Kaur",
    "Jensen",
    "Costa",
    "Ali",
]
ORG_FIRST = [
    "ProCom",
    "Northfield",
    "Bluewater",
    "Keystone",
    "Summit",
    "Redline",
    "Harbor",
    "Granite",
    "Meridian",
    "Cedar",
    "Atlas",
    "Beacon",
    "Pioneer",
    "Silverline",
    "Crescent",
    "Ironwood",
    "Lakeside",
    "Horizon",
    "Evergreen",
    "Sterling",
]
ORG_SECOND = [
    "Call Services",
    "Logistics",
    "Staffing",
    "Outreach",
    "Media Group",
    "Holdings",
    "Strategies",
    "Contact Centers",
    "Foods",
    "Cleaning Co.",
    "Security",
    "Health Partners",
    "Data Systems",
    "Consulting",
    "Campaign Services",
]
PLACES = [
    "Oklahoma",
    "Ohio",
    "New Jersey",
    "Texas",
    "Arizona",
    "Georgia",
    "Michigan",
    "Oregon",
    "Nevada",
    "Florida",
    "Kansas",
    "Vermont",
    "Idaho",
    "Maine",
]
GOV_KINDS = ["Department of Corrections", "Department of Labor", "Attorney General's Office", "Board of Elections"]
OUTLET_NOUNS = [
    "Ledger",
    "Herald",
    "Intercept",
    "Courier",
    "Tribune",
    "Observer",
    "Gazette",
    "Dispatch",
    "Sentinel",
    "Record",
]
GROUPS = [
    "inmates",
    "call-center agents",
    "warehouse workers",
    "seasonal staff",
    "contract cleaners",
    "delivery drivers",
    "campaign volunteers",
    "care workers",
]
TOPICS = [
    "prison labor program",
    "call-center subcontract",
    "minimum wage increase",
    "overtime rules",
    "campaign outreach contract",
    "warehouse safety audit",
    "subcontractor vetting policy",
    "data privacy settlement",
    "union recognition vote",
    "pension fund transfer",
    "housing grant scheme",
    "emergency relief fund",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
PERIOD_TEXT = {"hour": "an hour", "day": "a day", "week": "a week", "month": "a month", "year": "a year"}
PERIOD_RANGE = {"hour": (0.5, 40), "day": (5, 300), "week": (50, 1500), "month": (20, 6000), "year": (5000, 120000)}
QUALIFIER_TEXT = {
    "exactly": "",
    "up_to": "up to ",
    "about": "about ",
    "at_least": "at least ",
    "at_most": "no more than ",
}
CONTRACT_VERBS = {"ended": "ended", "signed": "active", "renewed": "active"}
EVENT_ACTIONS = ("sued", "fined", "hired", "dropped", "audited")
KNOWLEDGE_FORMS = (
    ("did not know about the {topic} until {month} {year}", "did_not_know"),
    ("knew about the {topic} in {month} {year}", "knew"),
    ("learned about the {topic} after a reporter's inquiry in {month} {year}", "learned"),
)
FILLERS = (
    "{org} did not respond to a request for comment.",
    "{person}, a spokesperson for {org}, declined to comment further.",
    "The {topic} has drawn criticism from labor advocates since {year}.",
    "Records obtained by {outlet} show that {n:,} people were employed under the arrangement in {year}.",
    "A spokesperson for the {place} {gov} said the agency was reviewing the matter.",
    "{person} has covered the {topic} for {outlet} since {year}.",
    "The figures could not be independently verified.",
    "{org} operates {n} sites in {place}, according to its filings.",
    "Payroll documents reviewed by {outlet} list the same rates for {year}.",
    "Advocates in {place} have asked lawmakers to look into the {topic}.",
)
RATING_SCALE = (
    # label, slug, value (None: off the scale), description
    ("False", "false", 1, "The claim is not accurate."),
    ("Mostly false", "mostly-false", 2, "The claim has an element of truth but ignores critical facts."),
    ("Half true", "half-true", 3, "The claim is partially accurate but leaves out important details."),
    ("Mostly true", "mostly-true", 4, "The claim is accurate but needs clarification."),
    ("True", "true", 5, "The claim is accurate and nothing significant is missing."),
    ("Unproven", "unproven", None, "The evidence available neither supports nor refutes the claim."),
)
ARCHIVE_START = datetime(2019, 1, 1, tzinfo=UTC)
ARCHIVE_SPAN_SECONDS = int((datetime(2026, 6, 30, tzinfo=UTC) - ARCHIVE_START).total_seconds())


@dataclass(slots=True)
class _PlannedClaim:
    statement: str
    text: str
    kind: str
    claimant: int
    status: str
    mentioned: list[int]
    fact: dict | None
    published_at: datetime | None = None
    verdict_updated_at: datetime | None = None
    corrections: int = 0
    id: int | None = None
    evidence: tuple | None = None  # (document_id, selector) of a passage beside the first quote


@dataclass
class Summary:
    claims: int = 0
    published: int = 0
    documents: int = 0
    appearances: int = 0
    entities: int = 0
    reviews: int = 0
    evidence: int = 0
    verdicts: int = 0
    corrections: int = 0
    facts: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    changes: int = 0
    editor_username: str = ""
    notes: list[str] = field(default_factory=list)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}" if amount % 1 else f"${int(amount):,}"


class _Archive:
    """The random choices behind one generated archive; deterministic for a given seed."""

    def __init__(self, *, claims: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_claims = claims
        self.n_documents = max(20, claims // CLAIMS_PER_DOCUMENT)
        self.n_entities = max(60, claims // 40)
        self.outlets = [f"The {p} {n}" for p in PLACES for n in OUTLET_NOUNS][: max(10, min(140, claims // 700))]

    # --- entities ------------------------------------------------------------------------
    def entities(self) -> list[tuple[str, str]]:
        """(name, kind) pairs: people, organisations, government bodies, publications."""
        rng, out, seen = self.rng, [], set()
        for i in range(self.n_entities):
            roll = i % 20
            if roll < 8:
                kind, name = "person", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            elif roll < 17:
                kind, name = "organisation", f"{rng.choice(ORG_FIRST)} {rng.choice(ORG_SECOND)}"
            elif roll < 19:
                kind, name = "government", f"{rng.choice(PLACES)} {rng.choice(GOV_KINDS)}"
            else:
                kind, name = "publication", rng.choice(self.outlets)
            if name in seen:
                # Same name, another entity: told apart the way a desk would, by a qualifier.
                name = f"{name} ({rng.choice(PLACES)} {i})"
            seen.add(name)
            out.append((name, kind))
        return out

    # --- claims --------------------------------------------------------------------------
    def claim(self, people: list[int], orgs: list[int], names: list[str]) -> _PlannedClaim:
        rng = self.rng
        kind = rng.choices(["wage", "knowledge", "contract", "quantity", "event", "other"], [24, 16, 16, 16, 16, 12])[0]
        claimant = rng.choice(people if rng.random() < 0.7 else orgs)
        org, org2 = rng.sample(orgs, 2)
        topic, month, year = rng.choice(TOPICS), rng.choice(MONTHS), rng.randint(2015, 2025)
        fact: dict | None = None
        mentioned = [org]
        if kind == "wage":
            period = rng.choice(list(PERIOD_TEXT))
            low, high = PERIOD_RANGE[period]
            amount = Decimal(str(round(rng.uniform(low, high), 2 if period == "hour" else 0)))
            qualifier = rng.choice(list(QUALIFIER_TEXT))
            group = rng.choice(GROUPS)
            statement = f"{names[org]} pays {group} {QUALIFIER_TEXT[qualifier]}{_money(amount)} {PERIOD_TEXT[period]}"
            fact = {
                "model": "WageFigure",
                "amount": amount,
                "period": period,
                "qualifier": qualifier,
                "payer_id": org,
                "stated_by_id": claimant,
                "measure": f"{group} pay at {names[org]}"[:120],
            }
        elif kind == "knowledge":
            actor = rng.choice(people)
            form, polarity = rng.choice(KNOWLEDGE_FORMS)
            statement = f"{names[actor]} " + form.format(topic=topic, month=month, year=year)
            mentioned = [actor]
            fact = {
                "model": "KnowledgeFact",
                "actor_id": actor,
                "subject_text": f"the {topic}",
                "polarity": polarity,
                "known_on": date(year, MONTHS.index(month) + 1, 1),
                "stated_by_id": claimant,
            }
        elif kind == "contract":
            verb = rng.choice(list(CONTRACT_VERBS))
            statement = f"{names[org]} {verb} its contract with {names[org2]} in {month} {year}"
            mentioned = [org, org2]
            when = date(year, MONTHS.index(month) + 1, 1)
            fact = {
                "model": "ContractRelation",
                "engager_id": org,
                "engaged_id": org2,
                "role": rng.choice(["vendor", "subcontractor", "operator"]),
                "status": CONTRACT_VERBS[verb],
                "since": None if verb == "ended" else when,
                "until": when if verb == "ended" else None,
                "stated_by_id": claimant,
            }
        elif kind == "quantity":
            count = rng.randint(2, 5000)
            group = rng.choice(GROUPS)
            qualifier = rng.choice(["exactly", "about", "at_least"])
            statement = (
                f"{QUALIFIER_TEXT[qualifier].capitalize()}{count:,} {group} worked at {names[org]} sites in {year}"
            )
            fact = {
                "model": "QuantityFact",
                "measure": f"{group} at {names[org]} sites in {year}"[:120],
                "value": Decimal(count),
                "unit": group[:40],
                "qualifier": qualifier,
            }
        elif kind == "event":
            action = rng.choice(EVENT_ACTIONS)
            day = rng.randint(1, 28)
            statement = f"{names[org]} {action} {names[org2]} over the {topic} on {month} {day}, {year}"
            mentioned = [org, org2]
            fact = {
                "model": "EventFact",
                "actor_id": org,
                "action": action,
                "recipient_id": org2,
                "object": f"the {topic}",
                "occurred_on": date(year, MONTHS.index(month) + 1, day),
            }
        else:
            stance = rng.choice(["supported", "opposed", "funded", "lobbied against"])
            statement = f"{names[org]} has {stance} the {topic} for {rng.randint(2, 30)} years"
        text = (
            f"{names[claimant]} says {statement[0].lower() + statement[1:] if statement[0].isdigit() else statement}."
        )
        status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
        planned = _PlannedClaim(
            statement=statement,
            text=text,
            kind=kind,
            claimant=claimant,
            status=status,
            mentioned=sorted(set(mentioned)),
            fact=fact,
        )
        if status in ("published", "retracted"):
            # Microseconds make the publication order (published_at, id) realistic: rarely tied.
            planned.published_at = ARCHIVE_START + timedelta(
                seconds=rng.randrange(ARCHIVE_SPAN_SECONDS), microseconds=rng.randrange(1_000_000)
            )
            roll = rng.random()
            planned.corrections = 2 if roll < TWICE_CORRECTED_SHARE else 1 if roll < CORRECTED_SHARE else 0
            if status == "retracted":
                planned.corrections = max(planned.corrections, 1)
            planned.verdict_updated_at = planned.published_at + timedelta(
                days=rng.randint(1, 120) * planned.corrections, seconds=rng.randrange(86400) * (planned.corrections > 0)
            )
        return planned

    # --- documents -----------------------------------------------------------------------
    def filler(self, names: list[str], people: list[int], orgs: list[int]) -> str:
        rng = self.rng
        return rng.choice(FILLERS).format(
            org=names[rng.choice(orgs)],
            person=names[rng.choice(people)],
            topic=rng.choice(TOPICS),
            year=rng.randint(2012, 2025),
            outlet=rng.choice(self.outlets),
            n=rng.randint(2, 12000),
            place=rng.choice(PLACES),
            gov=rng.choice(GOV_KINDS),
        )

    def document(self, index: int, items: list[_PlannedClaim], names, people, orgs) -> tuple[dict, list[tuple]]:
        """One article's text and metadata, and (claim, start, end, evidence span) for each quote in it."""
        rng = self.rng
        outlet = rng.choice(self.outlets)
        lead = items[0].statement if items else self.filler(names, people, orgs)
        title = f"{lead[:120]}, {outlet} finds" if items else f"Notes from {outlet}"
        author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        published_on = (ARCHIVE_START + timedelta(days=rng.randrange(ARCHIVE_SPAN_SECONDS // 86400))).date()
        parts = [title, "\n\n", f"By {author}, {outlet} · {published_on:%B %-d, %Y} · ref. {index}", "\n\n"]
        length = sum(len(p) for p in parts)
        spans = []
        for planned in items:
            for _ in range(rng.randint(0, 2)):
                sentence = self.filler(names, people, orgs) + " "
                parts.append(sentence)
                length += len(sentence)
            opening = "“"
            start = length + len(opening)
            end = start + len(planned.statement)
            closing = f",” {names[planned.claimant]} told {outlet}. "
            evidence = self.filler(names, people, orgs)
            ev_start = end + len(closing)
            ev_end = ev_start + len(evidence)
            paragraph = f"{opening}{planned.statement}{closing}{evidence}\n\n"
            parts.append(paragraph)
            length += len(paragraph)
            spans.append((planned, start, end, ev_start, ev_end))
        parts.append(self.filler(names, people, orgs))
        text = "".join(parts)
        meta = {
            "text": text,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "source_file": f"bench/{index:06d}.txt",
            "title": title[:300],
            "outlet": outlet,
            "author": author,
            "published_on": published_on,
            "url": f"https://news.example.org/{index}/",
        }
        return meta, spans


_DEFAULTS: dict[type, tuple[dict, list[tuple[str, object]], frozenset]] = {}


def _new(model: type, **values):
    """A model instance without Model.__init__ (a third of the generator's time at a million
    claims): each concrete field's default, then `values` by attname (`claim_id`, not `claim`)."""
    from django.db.models.base import ModelState

    defaults = _DEFAULTS.get(model)
    if defaults is None:
        fields = model._meta.concrete_fields
        # A callable default is called per row (a fresh dict, now()); any other, including
        # Django's implicit "" or None, is computed once and copied with the row's dict.
        fixed = {f.attname: f.get_default() for f in fields if not (f.has_default() and callable(f.default))}
        called = [(f.attname, f.default) for f in fields if f.has_default() and callable(f.default)]
        defaults = _DEFAULTS[model] = (fixed, called, frozenset(f.attname for f in fields))
    fixed, called, known = defaults
    if not values.keys() <= known:
        raise TypeError(f"{model.__name__}: not attnames: {sorted(values.keys() - known)}")
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(fixed)
    for name, default in called:
        if name not in values:
            state[name] = default()
    state.update(values)
    state["_state"] = ModelState()
    return obj


def insert(rows: list, *, batch_size: int = 2000) -> None:
    """Write model instances and give them their ids: PostgreSQL COPY, else bulk_create.

    On PostgreSQL the ids come first from the table's own sequence (one `nextval` per row, in
    row order, so the change log's positions still follow the order of `rows`); each row is
    then streamed through `COPY ... FROM STDIN` without an INSERT statement to build or parse.
    auto_now/auto_now_add columns get one timestamp for the whole call, as bulk_create's
    pre_save would give each row nearly the same one.
    """
    if not rows:
        return
    from django.db import connections, router
    from django.db.models import JSONField
    from django.utils import timezone

    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows, batch_size=batch_size)
        return
    import orjson

    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    now = timezone.now()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if getattr(rows[0], pk.attname) is None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            for obj, (pk_value,) in zip(rows, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, pk_value)
        stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        as_json = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
        values = operator.attrgetter(*(f.attname for f in fields))
        columns = ", ".join(quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in rows:
                state = obj.__dict__
                for name in stamped:
                    if state[name] is None:
                        state[name] = now
                row = values(obj)
                if as_json:
                    row = list(row)
                    for i in as_json:
                        row[i] = orjson.dumps(row[i]).decode()
                copy.write_row(row)
    for obj in rows:
        obj._state.adding, obj._state.db = False, connection.alias


def ensure_ratings() -> list:
    """The rating scale: the workflow's own Rating rows when its data migration made them, else ours."""
    from reviews.models import Rating

    if not Rating.objects.exists():
        for order, (label, slug, value, description) in enumerate(RATING_SCALE):
            Rating.objects.create(label=label, slug=slug, value=value, description=description, order=order)
    return list(Rating.objects.order_by("order", "id"))


def ensure_users(password: str = "bench-password-not-secret") -> tuple:
    """A staff editor (for publishing and the admin scenario) and a pool of reviewers."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    user_model = get_user_model()
    editor, created = user_model.objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True, "email": "bench-editor@example.org"}
    )
    if created:
        editor.set_password(password)
        editor.save()
    # The workflow's role groups when they exist; plus model permissions so the admin opens either way.
    editor.groups.add(*Group.objects.filter(name__iregex=r"^editors?$"))
    editor.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["claims", "reviews"]))
    reviewers = []
    reviewer_groups = list(Group.objects.filter(name__iregex=r"^reviewers?$"))
    for i in range(12):
        reviewer, created = user_model.objects.get_or_create(
            username=f"bench-reviewer-{i}", defaults={"email": f"bench-reviewer-{i}@example.org"}
        )
        if created:
            reviewer.set_unusable_password()
            reviewer.save()
            reviewer.groups.add(*reviewer_groups)
        reviewers.append(reviewer)
    return editor, reviewers


def generate(*, claims: int = DEFAULT_CLAIMS, seed: int = 1, batch_size: int = 2000, progress: bool = True) -> Summary:
    """Write a generated archive of `claims` claims into the default database, in one transaction."""
    from django.db import transaction

    from claims.models import Claim

    if Claim.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        raise SystemExit("This database already holds generated claims; generate into a fresh database.")
    with transaction.atomic(), _bulk_load():
        return _generate(claims=claims, seed=seed, batch_size=batch_size, progress=progress)


# The tables the generator fills, as app_label.ModelName (many-to-many tables by their owner).
_LOADED = ("claims", "reviews")


@contextlib.contextmanager
def _bulk_load():
    """On PostgreSQL: drop the loaded tables' foreign keys and secondary indexes, and rebuild them
    after the load, as pg_restore does.

    Row by row, every foreign key fires a check at commit and every index (the full-text GIN
    indexes above all) is updated per row; rebuilt afterwards, each index is one sorted build and
    each foreign key one join that validates every row at once. Inside the generator's
    transaction, so a failed load leaves the schema as it was.
    """
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    tables = [
        table
        for label in _LOADED
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not (table := model._meta.db_table).startswith(f"{label}_historical")
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)""",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
               WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        # The triggers that keep each claim's search document current (reviews migration 0018)
        # would recompute a claim's document per copied appearance and verdict: off for the load
        # (transactional, like the rest), and every document is computed once at the end.
        cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'claims_search_%'")
        triggers = cursor.fetchall()
        for table, name in triggers:
            cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for table, name in triggers:
            cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{name}"')
        if triggers:
            cursor.execute("SELECT claims_search_rebuild()")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _generate(*, claims: int, seed: int, batch_size: int, progress: bool) -> Summary:
    from tqdm import tqdm

    from claims import anchoring
    from claims.models import Appearance, Claim, Entity, SourceDocument
    from reviews.models import Assignment, Evidence, Review, Verdict

    def bar(total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="row", disable=not progress, file=sys.stderr, leave=True)

    summary = Summary()
    archive = _Archive(claims=claims, seed=seed)
    rng = archive.rng
    ratings = ensure_ratings()
    on_scale = [r for r in ratings if r.value is not None]
    off_scale = [r for r in ratings if r.value is None]
    editor, reviewers = ensure_users()
    summary.editor_username = editor.username

    # Entities: indexes into `names` / `entity_ids`.
    planned_entities = archive.entities()
    entity_rows = [
        _new(Entity, name=name, slug=f"{SLUG_PREFIX}e{i}", kind=kind, description=f"Generated {kind}.")
        for i, (name, kind) in enumerate(planned_entities)
    ]
    insert(entity_rows, batch_size=batch_size)
    entity_ids = [e.pk for e in entity_rows]
    names = [name for name, _ in planned_entities]
    people = [i for i, (_, kind) in enumerate(planned_entities) if kind == "person"]
    orgs = [i for i, (_, kind) in enumerate(planned_entities) if kind in ("organisation", "government")]
    summary.entities = len(entity_rows)

    # Claims.
    plans = [archive.claim(people, orgs, names) for _ in range(claims)]
    with bar(claims, "claims") as progress_bar:
        for offset in range(0, claims, batch_size):
            chunk = plans[offset : offset + batch_size]
            rows = [
                _new(
                    Claim,
                    text=p.text,
                    slug=f"{SLUG_PREFIX}{offset + i}",
                    kind=p.kind,
                    claimant_id=entity_ids[p.claimant],
                    status=p.status,
                    version=1 + p.corrections,
                    created_by_id=editor.pk,
                    published_at=p.published_at,
                    verdict_updated_at=p.verdict_updated_at,
                )
                for i, p in enumerate(chunk)
            ]
            insert(rows)
            for p, row in zip(chunk, rows, strict=True):
                p.id = row.pk
            insert(
                [
                    _new(Claim.entities.through, claim_id=p.id, entity_id=entity_ids[e])
                    for p in chunk
                    for e in {*p.mentioned, *rng.sample(range(len(entity_ids)), rng.randint(0, 2))}
                ]
            )
            progress_bar.update(len(chunk))
    summary.claims = claims
    summary.published = sum(p.status in ("published", "retracted") for p in plans)

    _write_facts(plans, entity_ids, summary, batch_size)

    # Documents with the quotes inside, and the appearances pointing at them.
    doc_items: list[list[_PlannedClaim]] = [[] for _ in range(archive.n_documents)]
    for p in plans:
        for d in rng.sample(range(archive.n_documents), rng.randint(1, 5)):
            doc_items[d].append(p)
    doc_batch = max(1, batch_size // 20)
    with bar(archive.n_documents, "documents") as progress_bar:
        for offset in range(0, archive.n_documents, doc_batch):
            built = [
                archive.document(offset + i, items, names, people, orgs)
                for i, items in enumerate(doc_items[offset : offset + doc_batch])
            ]
            docs = [_new(SourceDocument, **meta) for meta, _ in built]
            insert(docs)
            appearances = []
            for doc, (meta, spans) in zip(docs, built, strict=True):
                text = meta["text"]
                for planned, start, end, ev_start, ev_end in spans:
                    sel = anchoring.selector_at(text, start, end)
                    if sel.exact != planned.statement:
                        raise AssertionError(f"quote not at its offsets in document {doc.source_file}")
                    appearances.append(
                        _new(
                            Appearance,
                            claim_id=planned.id,
                            document_id=doc.pk,
                            exact=sel.exact,
                            prefix=sel.prefix,
                            suffix=sel.suffix,
                            start=sel.start,
                            end=sel.end,
                        )
                    )
                    if planned.evidence is None:
                        planned.evidence = (doc.pk, anchoring.selector_at(text, ev_start, ev_end))
            insert(appearances, batch_size=batch_size)
            summary.appearances += len(appearances)
            progress_bar.update(len(docs))
    summary.documents = archive.n_documents
    del doc_items

    # Conflicts between wage claims on the same measure with different amounts.
    conflicts, cited_by = _conflicts(plans, rng, editor, limit=max(5, claims // 200))
    insert(conflicts, batch_size=batch_size)
    # The later claim of a confirmed pair cites the conflict in its first verdict.
    cited = {claim_id: c.pk for c, claim_id in zip(conflicts, cited_by, strict=True) if c.status == "confirmed"}
    summary.conflicts = len(conflicts)

    # Assignments, two independent reviews with evidence, and verdict versions.
    reviewed_states = ("reviewed", "published", "retracted")
    with bar(claims, "reviews and verdicts") as progress_bar:
        for offset in range(0, claims, batch_size):
            chunk = plans[offset : offset + batch_size]
            assignments, reviews, review_plans, verdicts = [], [], [], []
            for p in chunk:
                if p.status in ("draft", "submitted"):
                    continue
                pair = rng.sample(reviewers, 2)
                assignments += [
                    _new(Assignment, claim_id=p.id, reviewer_id=r.pk, assigned_by_id=editor.pk) for r in pair
                ]
                if p.status not in reviewed_states:
                    continue
                final = rng.choice(on_scale) if (rng.random() < 0.96 or not off_scale) else rng.choice(off_scale)
                disagree = rng.random() < REVIEWERS_DISAGREE_SHARE
                when = (p.published_at or ARCHIVE_START + timedelta(days=rng.randrange(2700))) - timedelta(
                    days=rng.randint(1, 10)
                )
                for n, reviewer in enumerate(pair):
                    rating = rng.choice(ratings) if (disagree and n == 1) else final
                    reviews.append(
                        _new(
                            Review,
                            claim_id=p.id,
                            reviewer_id=reviewer.pk,
                            rating_id=rating.pk,
                            rationale=f"Checked the quote against the source and the records: {rating.label.lower()}.",
                            status="submitted",
                            submitted_at=when + timedelta(hours=n),
                        )
                    )
                    review_plans.append(p)
                if p.published_at is None:
                    continue
                summary_text = (
                    f"{final.label}. The records behind the quote do not bear out every part of it: "
                    f"“{p.statement[:80]}”."
                )
                verdicts.append(
                    _new(
                        Verdict,
                        claim_id=p.id,
                        version=1,
                        kind="original",
                        rating_id=final.pk,
                        summary=summary_text,
                        resolution="The editor weighed both reviews and the evidence." if disagree else "",
                        published_by_id=editor.pk,
                        published_at=p.published_at,
                    )
                )
                for v in range(p.corrections):
                    last = v == p.corrections - 1
                    retraction = p.status == "retracted" and last
                    verdicts.append(
                        _new(
                            Verdict,
                            claim_id=p.id,
                            version=2 + v,
                            kind="retraction" if retraction else "correction",
                            rating_id=(final if retraction else rng.choice(on_scale)).pk,
                            summary=summary_text,
                            correction_note=(
                                "Retracted: the source document was misattributed."
                                if retraction
                                else f"Correction {v + 1}: the figure was checked against newer payroll records."
                            ),
                            published_by_id=editor.pk,
                            published_at=p.verdict_updated_at if last else p.published_at + timedelta(days=1 + v),
                        )
                    )
            insert(assignments, batch_size=batch_size)
            insert(reviews, batch_size=batch_size)
            evidence = []
            for review, p in zip(reviews, review_plans, strict=True):
                doc_id, sel = p.evidence
                evidence.append(
                    _new(
                        Evidence,
                        review_id=review.pk,
                        stance=rng.choice(["supports", "refutes", "context"]),
                        document_id=doc_id,
                        exact=sel.exact,
                        prefix=sel.prefix,
                        suffix=sel.suffix,
                        start=sel.start,
                        end=sel.end,
                    )
                )
                if rng.random() < 0.5:
                    evidence.append(
                        _new(
                            Evidence,
                            review_id=review.pk,
                            stance="context",
                            url=f"https://records.example.org/claims/{p.id}/{review.reviewer_id}",
                            title="Public payroll and contract records",
                            excerpt="The filing lists the rates and the parties for the period in question.",
                        )
                    )
            insert(evidence, batch_size=batch_size)
            insert(verdicts, batch_size=batch_size)
            links = [
                _new(Verdict.cited_conflicts.through, verdict_id=v.pk, conflict_id=cited[v.claim_id])
                for v in verdicts
                if v.version == 1 and v.claim_id in cited
            ]
            insert(links, batch_size=batch_size)
            summary.reviews += len(reviews)
            summary.evidence += len(evidence)
            summary.verdicts += len(verdicts)
            summary.corrections += sum(v.version > 1 for v in verdicts)
            progress_bar.update(len(chunk))

    _write_changes(plans, summary, batch_size)
    return summary


def _write_changes(plans: list[_PlannedClaim], summary: Summary, batch_size: int) -> None:
    """The change log the services would have written: each claim's creation, publication,
    corrections and retraction, in time order so positions follow the dates."""
    from claims.models import Change

    rows = []
    for p in plans:
        first = p.published_at or datetime(2024, 6, 1, tzinfo=UTC)
        rows.append(_new(Change, claim_id=p.id, kind="claim", status="draft", public_before=False, public_after=False,
                           at=first - timedelta(days=10), detail={"created": True}))  # fmt: skip
        if p.published_at is None:
            continue
        rows.append(_new(Change, claim_id=p.id, kind="published", status="published", public_before=False,
                           public_after=True, at=p.published_at, detail={"verdict_version": 1}))  # fmt: skip
        for v in range(p.corrections):
            last = v == p.corrections - 1
            retraction = p.status == "retracted" and last
            rows.append(
                _new(
                    Change,
                    claim_id=p.id,
                    kind="retracted" if retraction else "corrected",
                    status="retracted" if retraction else "published",
                    public_before=True,
                    public_after=True,
                    at=p.verdict_updated_at if last else p.published_at + timedelta(days=1 + v),
                    detail={"verdict_version": 2 + v},
                )
            )
    rows.sort(key=lambda row: (row.at, row.claim_id))
    insert(rows, batch_size=batch_size)
    summary.changes = len(rows)


def _write_facts(plans: list[_PlannedClaim], entity_ids: list[int], summary: Summary, batch_size: int) -> None:
    """The structured facts of each claim's kind (WageFigure etc.), when the facts models exist."""
    from django.apps import apps

    by_model: dict[str, list] = defaultdict(list)
    for p in plans:
        if p.fact is None:
            continue
        fact = dict(p.fact)
        model_name = fact.pop("model")
        try:
            model = apps.get_model("claims", model_name)
        except LookupError:
            continue
        for key, value in list(fact.items()):
            # Entity references were planned as indexes; the database wants ids.
            if key.endswith("_id") and value is not None:
                fact[key] = entity_ids[value]
        by_model[model_name].append(_new(model, claim_id=p.id, **fact))
    for model_name, rows in by_model.items():
        insert(rows, batch_size=batch_size)
        summary.facts[model_name] = len(rows)
    missing = {p.fact["model"] for p in plans if p.fact} - set(by_model)
    if missing:
        summary.notes.append(f"facts models not present, skipped: {', '.join(sorted(missing))}")


def _conflicts(plans: list[_PlannedClaim], rng: random.Random, editor, *, limit: int) -> tuple[list, list[int]]:
    """Conflicts between published wage claims about the same pay, and for each the later claim's id."""
    from claims.models import Conflict

    by_measure: dict[str, list[_PlannedClaim]] = defaultdict(list)
    for p in plans:
        if p.kind == "wage" and p.fact and p.status == "published":
            by_measure[p.fact["measure"]].append(p)
    rows, pairs = [], []
    for group in by_measure.values():
        for a, b in pairwise(group):
            if a.fact["amount"] == b.fact["amount"] or a.fact["period"] != b.fact["period"]:
                continue
            a, b = sorted((a, b), key=lambda p: p.id)
            status = rng.choice(["open", "confirmed", "dismissed"])
            rows.append(
                _new(
                    Conflict,
                    claim_a_id=a.id,
                    claim_b_id=b.id,
                    field="amount",
                    value_a=str(a.fact["amount"]),
                    value_b=str(b.fact["amount"]),
                    explanation=f"{_money(a.fact['amount'])} and {_money(b.fact['amount'])} {PERIOD_TEXT[a.fact['period']]}.",
                    status=status,
                    triage_note="" if status == "open" else "Checked against the payroll records.",
                    triaged_by_id=None if status == "open" else editor.pk,
                    triaged_at=None if status == "open" else b.published_at,
                )
            )
            pairs.append(b.id)
            if len(rows) >= limit:
                break
        if len(rows) >= limit:
            break
    return rows, pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=None, help=f"how many claims (default {DEFAULT_CLAIMS:,})")
    parser.add_argument("--quick", action="store_true", help=f"a small archive: {QUICK_CLAIMS:,} claims")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    n = args.claims or (QUICK_CLAIMS if args.quick else DEFAULT_CLAIMS)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    summary = generate(claims=n, seed=args.seed, batch_size=args.batch_size, progress=not args.no_progress)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
