"""Who sees what, checked at every door.

One rule (Claim.objects.visible_to) decides which claims a user may see. This walks every URL
the app serves on GET: the API's from its OpenAPI schema and the admin's from the URL resolver,
with real ids of claims in each state, of every other object, and the query parameters that
name a claim or a status. It does so as an anonymous user, a user who is not staff, a reviewer
assigned to nothing, a reviewer assigned to some claims, and an editor, and checks that:

- no claim outside `visible_to(user)` shows in any response: every claim carries a distinctive
  text and slug, and bodies are scanned for those and for the claim's API and admin URLs;
- every refusal is a 403 or 404 with a readable body: the JSON error shape under /api/, a
  page of the admin (its header and a reason) elsewhere; never an empty body.

A new endpoint or admin page is walked without touching this file; a URL parameter it cannot
fill makes it fail, so that the walk never silently skips a door.
"""

from __future__ import annotations

import json
import re
from itertools import combinations

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient

from claims.facts import services as facts
from claims.models import Appearance, Claim, Conflict
from reviews import services
from reviews.admin import WORKFLOW_ACTIONS
from reviews.models import Review
from tests.api.conftest import drive  # noqa: F401  (a fixture)
from tests.factories import EntityFactory, make_user

pytestmark = pytest.mark.django_db

STATES = ["draft", "submitted", "in_review", "reviewed", "published", "retracted"]
ROLES = ["anonymous", "not_staff", "unassigned_reviewer", "assigned_reviewer", "editor"]
# Objects not bound to a claim (entities, documents, users, ...): a few of each are enough.
UNBOUND_SAMPLE = 2
# Objects bound to a claim through another (evidence through its review).
CLAIM_BOUND = (Review,)


def marker(name: str) -> str:
    return f"zq-{name}-qz"


@pytest.fixture
def world(drive, editor, reviewer1, reviewer2):  # noqa: F811
    """Claims in every state (draft and submitted ones assigned to nobody; one sent back to draft
    after reviewers were assigned), each with a distinctive text and slug, wage and contract facts,
    an event, knowledge about a draft, and confirmed and open conflicts between public and hidden claims."""
    claims = {}
    for state in [*STATES, "sent_back"]:
        claim = drive(
            "in_review" if state == "sent_back" else state,
            kind="wage",
            text=f"The {marker(state)} claim text.",
            slug=marker(state),
        )
        if state == "sent_back":
            services.claim_send_back(claim=claim, by=editor, reason="Reword it.")
        claims[state] = Claim.objects.get(pk=claim.pk)
    payer, engager = EntityFactory(name="The payer"), EntityFactory(name="The engager")
    for n, claim in enumerate(claims.values(), start=1):
        facts.wage_set(claim=claim, by=editor, amount=str(n), period="hour", payer=payer, measure="pay")
        engaged = EntityFactory(name=f"Engaged party {n}")
        facts.contract_set(claim=claim, by=editor, engager=engager, engaged=engaged, role="vendor", status="active")
        facts.event_set(claim=claim, by=editor, actor=engager, action=f"acted on {claim.slug}")
    facts.knowledge_set(
        claim=claims["published"], by=editor, actor=engager, polarity="knew", subject_claim=claims["draft"]
    )
    Conflict.objects.all().delete()  # the detector's own: replaced by a known set
    published = claims["published"]
    for other, status in [("draft", "confirmed"), ("in_review", "confirmed"), ("retracted", "confirmed"),
                          ("sent_back", "open"), ("submitted", "confirmed")]:  # fmt: skip
        a, b = sorted([published, claims[other]], key=lambda c: c.pk)
        Conflict.objects.create(
            claim_a=a, claim_b=b, field="pay", value_a="1", value_b="2", explanation="They differ.", status=status
        )
    return claims


@pytest.fixture
def users(editor, reviewer1):
    return {
        "anonymous": None,
        "not_staff": make_user("outsider", staff=False),
        "unassigned_reviewer": make_user("reviewer9", "Reviewers"),
        "assigned_reviewer": reviewer1,
        "editor": editor,
    }


# --- The URLs ----------------------------------------------------------------------------------


def api_urls(claims: dict[str, Claim]) -> list[str]:
    """Every GET operation of the OpenAPI schema, with each claim's or document's id filled in,
    and once per claim id or status for query parameters that name one."""
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    ids = {
        "claims": [c.pk for c in claims.values()],
        "documents": sorted({a.document_id for c in claims.values() for a in c.appearances.all()}),
    }
    urls = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        params = re.findall(r"{(\w+)}", path)
        if params:
            collection = path.split("/")[2]
            assert len(params) == 1 and collection in ids, f"cannot fill {path}: teach this walk its ids"
            urls += [path.replace(f"{{{params[0]}}}", str(pk)) for pk in ids[collection]]
        else:
            urls.append(path)
        query = {p["name"]: p for p in operations["get"].get("parameters", []) if p["in"] == "query"}
        if "claim" in query:
            urls += [f"{path}?claim={pk}" for pk in ids["claims"]]
        if "status" in query:
            urls += [f"{path}?status={value}" for value in query["status"]["schema"]["enum"]]
    return urls


def _objects(model) -> list:
    """Every object bound to a claim (claims, facts, conflicts, reviews, ...), a few of the others."""
    bound = model is Claim or any(
        f.is_relation and f.concrete and f.related_model in (Claim, *CLAIM_BOUND) for f in model._meta.get_fields()
    )
    objects = model._default_manager.order_by("pk")
    return list(objects if bound else objects[:UNBOUND_SAMPLE])


def admin_urls(claims: dict[str, Claim]) -> list[str]:
    """Every named admin URL, from the resolver: site pages, each model admin's pages for each of
    its objects (change, history, delete, history versions, workflow steps) and its custom views,
    searches and raw-id popups, the review form for each claim, and every autocomplete field."""
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    urls += [reverse("admin:app_list", args=[label]) for label in {m._meta.app_label for m in admin.site._registry}]
    for model, model_admin in admin.site._registry.items():
        objects = _objects(model)
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue  # the bare <object_id>/ redirect to the change page
            names = set(pattern.pattern.regex.groupindex)
            name = f"admin:{pattern.name}"
            if pattern.pattern.regex.groups and not names and pattern.name.endswith("_simple_history"):
                # simple_history's version page: <object_id>/history/<version_id>/, unnamed groups.
                for obj in objects:
                    # Rows seeded by a migration (the rating scale) have no history yet.
                    version = obj.history.order_by("history_id").first()
                    if version is not None:
                        urls.append(reverse(name, args=[obj.pk, version.history_id]))
            elif pattern.pattern.regex.groups and not names:
                pytest.fail(f"cannot fill {pattern.name}: unnamed parameters")
            elif not names:
                urls.append(reverse(name))
            elif names == {"claim_id"}:
                urls += [reverse(name, kwargs={"claim_id": c.pk}) for c in claims.values()]
            elif names == {"object_id"}:
                urls += [reverse(name, kwargs={"object_id": obj.pk}) for obj in objects]
            elif names == {"object_id", "action"}:
                urls += [
                    reverse(name, kwargs={"object_id": obj.pk, "action": action})
                    for obj in objects
                    for action in WORKFLOW_ACTIONS
                ]
            elif names == {"id"}:
                urls += [reverse(name, kwargs={"id": obj.pk}) for obj in objects]
            elif names == {"appearance_id"}:
                appearances = Appearance.objects.filter(claim__in=claims.values()).order_by("pk")
                urls += [reverse(name, kwargs={"appearance_id": a.pk}) for a in appearances]
            else:
                pytest.fail(f"cannot fill {pattern.name} {sorted(names)}: teach this walk its parameters")
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        urls += [f"{changelist}?q=zq", f"{changelist}?_popup=1&_to_field=id"]
    urls += [f"{reverse('admin:claims_claim_changelist')}?queue=assigned"]
    urls += [f"{reverse('admin:claims_claim_merge')}?ids={a.pk},{b.pk}" for a, b in combinations(claims.values(), 2)]
    urls += [f"{reverse('admin:reviews_review_add')}?claim={c.pk}" for c in claims.values()]
    urls += autocomplete_urls()
    return urls


def autocomplete_urls() -> list[str]:
    url = reverse("admin:autocomplete")
    found = []
    for model, model_admin in admin.site._registry.items():
        owners = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for owner in owners:
            for field in owner.autocomplete_fields:
                opts = owner.model._meta
                found.append(f"{url}?app_label={opts.app_label}&model_name={opts.model_name}&field_name={field}&term=")
    assert found, "no autocomplete field found: the walk lost its way"
    return found


# --- The checks ----------------------------------------------------------------------------------


def hidden_traces(claims: dict[str, Claim], visible: set[int]) -> list[str]:
    """What would betray a claim the user may not see: its text, slug and URLs."""
    traces = []
    for claim in claims.values():
        if claim.pk in visible:
            continue
        traces += [
            claim.slug,
            f"/api/claims/{claim.pk}/",
            reverse("admin:claims_claim_change", args=[claim.pk]),
        ]
    return traces


def claim_ids_in_json(data) -> set[int]:
    """Claim ids named in a JSON body by fields that hold a claim id."""
    found: set[int] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in {"other_claim", "claim", "claim_a", "claim_b", "subject_claim"} and isinstance(value, int):
                found.add(value)
            found |= claim_ids_in_json(value)
    elif isinstance(data, list):
        for item in data:
            found |= claim_ids_in_json(item)
    return found


def check_refusal(url: str, response) -> None:
    body = response.content.decode()
    assert body.strip(), f"{url}: {response.status_code} with an empty body"
    if url.startswith("/api/"):
        error = json.loads(body)
        assert error["type"] and error["detail"], f"{url}: not the error shape: {body[:200]}"
    else:
        assert 'id="site-name"' in body, f"{url}: a {response.status_code} outside the admin's pages: {body[:300]}"


def walk(client, urls: list[str], claims: dict[str, Claim], user, visible: set[int]) -> dict[int, int]:
    traces = hidden_traces(claims, visible)
    statuses: dict[int, int] = {}
    for url in urls:
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        body = response.content.decode()
        leaked = [trace for trace in traces if trace in body]
        assert not leaked, f"{url} ({response.status_code}) shows claims hidden from {user}: {leaked}"
        if response.status_code in (403, 404) or (response.status_code == 401 and user is None):
            check_refusal(url, response)
        elif (
            response.status_code == 302
            and user is not None
            and user.is_staff
            and re.fullmatch(r"/admin/reviews/notification/\d+/open/", url)
        ):
            # Opening one's own notification goes on to its claim, which the user may see.
            claim_id = int(response["Location"].split("/")[-3])
            assert claim_id in visible, f"{url}: sent {user} to a claim hidden from them"
        elif response.status_code == 302:
            # Only the admin's login page turns people away by redirecting.
            assert user is None or not user.is_staff, f"{url}: redirected a staff user to {response['Location']}"
            assert response["Location"].startswith(reverse("admin:login")), url
        else:
            assert response.status_code == 200, f"{url}: {response.status_code}"
            if response["Content-Type"].startswith(("application/json", "application/ld+json")):
                named = claim_ids_in_json(response.json()) - visible
                assert not named, f"{url} names claims hidden from {user}: {named}"
    return statuses


def client_for(role: str, users: dict):
    client = APIClient()
    if users[role] is not None:
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_no_door_shows_a_claim_the_user_may_not_see(role, users, world):
    user = users[role]
    visible = set(Claim.objects.visible_to(user).values_list("pk", flat=True))
    # The rule itself, for the record of what the walk holds each role to.
    public = {world["published"].pk, world["retracted"].pk}
    assigned = {world[s].pk for s in ("in_review", "reviewed", "published", "retracted", "sent_back")}
    expected = {
        "anonymous": public,
        "not_staff": public,
        "unassigned_reviewer": public,
        "assigned_reviewer": public | assigned,
        "editor": {c.pk for c in world.values()},
    }[role]
    assert visible == expected

    client = client_for(role, users)
    statuses = walk(client, api_urls(world) + admin_urls(world), world, user, visible)
    assert statuses.get(200), statuses


def test_a_reviewer_is_told_why_and_the_public_learns_nothing(users, world):
    draft = world["draft"]
    reviewer = client_for("unassigned_reviewer", users)
    api = reviewer.get(f"/api/claims/{draft.pk}/")
    assert api.status_code == 403 and api.json()["rule"] == "claim_not_assigned"
    page = reviewer.get(reverse("admin:claims_claim_change", args=[draft.pk]))
    assert page.status_code == 403 and "You are not assigned to this claim" in page.content.decode()
    anonymous = client_for("anonymous", users).get(f"/api/claims/{draft.pk}/")
    missing = client_for("anonymous", users).get(f"/api/claims/{draft.pk + 1000}/")
    assert (anonymous.status_code, anonymous.json()) == (missing.status_code, missing.json())


def test_agreement_is_for_editors_in_the_api_as_in_the_admin(users, world):
    for role in ("assigned_reviewer", "unassigned_reviewer"):
        client = client_for(role, users)
        assert client.get("/api/agreement/").status_code == 403
        assert client.get(reverse("admin:reviews_agreement")).status_code == 403
    editor = client_for("editor", users)
    assert editor.get("/api/agreement/").status_code == 200
    assert editor.get(reverse("admin:reviews_agreement")).status_code == 200


def test_the_walk_finds_hidden_claims_where_the_rule_is_broken(users, world, monkeypatch):
    """The walk can fail: with the rule switched off, it reports the leak."""
    from claims.querysets import ClaimQuerySet

    visible = set(Claim.objects.visible_to(None).values_list("pk", flat=True))
    monkeypatch.setattr(ClaimQuerySet, "visible_to", lambda self, user: self)
    with pytest.raises(AssertionError, match="shows claims hidden"):
        walk(client_for("anonymous", users), [f"/api/claims/{world['draft'].pk}/"], world, None, visible)
    with pytest.raises(AssertionError, match="shows claims hidden"):
        walk(client_for("anonymous", users), ["/api/timeline/"], world, None, visible)


def test_reviewer_pages_list_the_public_and_assigned_claims_only(users, world):
    client = client_for("assigned_reviewer", users)
    page = client.get(
        reverse("admin:claims_sourcedocument_change", args=[world["draft"].appearances.get().document_id])
    )
    assert page.status_code == 200 and world["draft"].slug not in page.content.decode()
    wages = client.get(reverse("admin:claims_wagefigure_changelist")).content.decode()
    assert world["in_review"].slug in wages and world["draft"].slug not in wages
