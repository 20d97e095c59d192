import hashlib

import pytest
from django.core.exceptions import ValidationError

from claims import services
from claims.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from claims.models import Appearance, Claim, Entity, SourceDocument
from claims.services import system_user
from tests.factories import AppearanceFactory, ClaimFactory, DocumentFactory, EntityFactory, UserFactory

pytestmark = pytest.mark.django_db

ARTICLE = "Headline\u00a0with NBSP\r\n“Curly quotes,” she said.  \n\nThe vendor paid $7.25 an hour.\n"


def write(path, content: str | bytes):
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- document_check_file / document_import -------------------------------------------


def test_import_stores_the_text_exactly_with_its_sha256(tmp_path):
    result = services.document_import_file(path=write(tmp_path / "a.txt", ARTICLE), by=system_user())
    assert result.status == "created"
    document = SourceDocument.objects.get()
    assert document.text == ARTICLE  # NBSP, curly quotes, CRLF and trailing whitespace kept
    assert document.sha256 == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert document.source_file == "a.txt"


def test_reimporting_the_same_text_is_unchanged(tmp_path):
    path = write(tmp_path / "a.txt", ARTICLE)
    first = services.document_import_file(path=path, by=system_user())
    second = services.document_import_file(path=path, by=system_user())
    assert second.status == "unchanged"
    assert second.document == first.document
    assert SourceDocument.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"caf\xe9 au lait", "not valid UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "NUL bytes"),
        (b"text with a bell \x07 in it", r"control character U\+0007"),
    ],
)
def test_bad_files_are_refused_with_one_line_naming_the_file(tmp_path, content, message):
    path = write(tmp_path / "bad.txt", content)
    with pytest.raises(services.DocumentRefused, match=message) as excinfo:
        services.document_import_file(path=path, by=system_user())
    assert str(path) in excinfo.value.message
    assert "\n" not in excinfo.value.message
    assert not SourceDocument.objects.exists()


def test_files_over_the_size_limit_are_refused(tmp_path, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    path = write(tmp_path / "big.txt", "eleven bytes")
    with pytest.raises(services.DocumentRefused, match="larger than the 10-byte limit"):
        services.document_check_file(path)


def test_a_changed_file_becomes_a_new_version_and_unchanged_anchors_follow_it(tmp_path):
    path = write(tmp_path / "a.txt", ARTICLE)
    old = services.document_import_file(path=path, by=system_user()).document
    services.document_update_metadata(
        document=old, title="Prison labor", outlet="The Hill", author="", published_on=None, url="", by=system_user()
    )
    appearance = services.appearance_add(claim=ClaimFactory(), document=old, quote="$7.25 an hour", by=system_user())

    write(path, "Correction appended.\n" + ARTICLE)
    result = services.document_import_file(path=path, by=system_user())

    assert result.status == "new_version"
    new = result.document
    assert new.previous_version == old
    assert new.title == "Prison labor"  # metadata carried over to the new version
    old.refresh_from_db()
    appearance.refresh_from_db()
    assert old.text == ARTICLE
    assert (appearance.document, appearance.anchor_state) == (new, "moved")
    assert new.text[appearance.start : appearance.end] == appearance.exact == "$7.25 an hour"
    assert result.reanchoring.count("moved") == 1
    assert list(SourceDocument.objects.latest_versions()) == [new]


def test_a_third_version_follows_the_latest_one(tmp_path):
    path = write(tmp_path / "a.txt", "one")
    first = services.document_import_file(path=path, by=system_user()).document
    second = services.document_import_file(path=write(path, "two"), by=system_user()).document
    third = services.document_import_file(path=write(path, "three"), by=system_user()).document
    assert (third.previous_version, second.previous_version) == (second, first)


def test_update_metadata_never_touches_the_text():
    document = DocumentFactory()
    original = document.text
    document.text = "tampered in memory"
    services.document_update_metadata(
        document=document,
        title="T",
        outlet="O",
        author="A",
        published_on=None,
        url="https://example.org/a",
        by=system_user(),
    )
    document.refresh_from_db()
    assert document.text == original
    assert (document.title, document.url) == ("T", "https://example.org/a")


def test_update_metadata_validates_the_url():
    with pytest.raises(ValidationError) as excinfo:
        services.document_update_metadata(
            document=DocumentFactory(),
            title="",
            outlet="",
            author="",
            published_on=None,
            url="not a url",
            by=system_user(),
        )
    assert "url" in excinfo.value.message_dict


# --- entities ---------------------------------------------------------------------------


def test_entity_create_derives_a_unique_slug():
    first = services.entity_create(name="Michael Bloomberg", kind=Entity.Kind.PERSON, by=system_user())
    second = services.entity_create(name="Michael Bloomberg", kind=Entity.Kind.PERSON, by=system_user())
    assert (first.slug, second.slug) == ("michael-bloomberg", "michael-bloomberg-2")


def test_entity_update_writes_only_the_given_fields():
    entity = EntityFactory(description="kept")
    services.entity_update(entity=entity, name="ProCom", by=system_user())
    entity.refresh_from_db()
    assert (entity.name, entity.description) == ("ProCom", "kept")


# --- claims -----------------------------------------------------------------------------


def test_claim_create_makes_a_draft_with_a_slug_from_its_text():
    claimant, about = EntityFactory(), EntityFactory()
    claim = services.claim_create(
        text="The campaign ended its contract with the vendor.",
        kind=Claim.Kind.CONTRACT,
        claimant=claimant,
        entities=[about],
        by=system_user(),
    )
    assert claim.status == Claim.Status.DRAFT
    assert claim.slug == "the-campaign-ended-its-contract-with-the-vendor"
    assert list(claim.entities.all()) == [about]


def test_claim_slugs_are_made_unique():
    claimant = EntityFactory()
    first = services.claim_create(text="Same words.", kind="other", claimant=claimant, by=system_user())
    second = services.claim_create(text="Same words.", kind="other", claimant=claimant, by=system_user())
    assert second.slug == f"{first.slug}-2"


def test_claim_create_refuses_a_taken_explicit_slug():
    ClaimFactory(slug="taken")
    with pytest.raises(ValidationError) as excinfo:
        services.claim_create(text="Another.", kind="other", claimant=EntityFactory(), slug="taken", by=system_user())
    assert "slug" in excinfo.value.message_dict


def test_claim_create_refuses_an_unknown_kind():
    with pytest.raises(ValidationError) as excinfo:
        services.claim_create(text="x", kind="rumour", claimant=EntityFactory(), by=system_user())
    assert "kind" in excinfo.value.message_dict


def test_claim_update_bumps_the_version():
    claim = ClaimFactory()
    updated = services.claim_update(claim=claim, by=system_user(), expected_version=1, text="Reworded.")
    assert (updated.text, updated.version) == ("Reworded.", 2)


def test_claim_update_from_a_stale_copy_is_refused_and_writes_nothing():
    claim = ClaimFactory(text="Original.")
    stale = Claim.objects.get(pk=claim.pk)
    services.claim_update(claim=claim, by=system_user(), expected_version=1, text="First editor.")
    with pytest.raises(StaleVersion) as excinfo:
        services.claim_update(claim=stale, by=system_user(), expected_version=stale.version, text="Second editor.")
    assert excinfo.value.current_version == 2
    assert "Someone else saved this claim" in excinfo.value.message
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("First editor.", 2)


@pytest.mark.parametrize("status", [Claim.Status.PUBLISHED, Claim.Status.RETRACTED])
def test_the_text_of_a_published_claim_is_frozen(status):
    claim = ClaimFactory(status=status, text="As published.")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.claim_update(claim=claim, by=system_user(), expected_version=1, text="Quietly reworded.")
    assert excinfo.value.rule == "published_claim_frozen"
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("As published.", 1)


def test_a_published_claim_can_still_be_tagged_with_entities():
    claim = ClaimFactory(status=Claim.Status.PUBLISHED)
    entity = EntityFactory()
    services.claim_update(claim=claim, by=system_user(), expected_version=1, text=claim.text, entities=[entity])
    assert list(claim.entities.all()) == [entity]


def test_a_user_without_permission_cannot_create_claims():
    with pytest.raises(NotPermitted):
        services.claim_create(text="x", kind="other", claimant=EntityFactory(), by=UserFactory())
    assert not Claim.objects.exists()


def test_claim_changes_are_recorded_in_history_with_the_user():
    user = UserFactory(is_superuser=True)
    claim = services.claim_create(text="Recorded.", kind="other", claimant=EntityFactory(), by=user)
    services.claim_update(claim=claim, by=user, expected_version=1, text="Recorded again.")
    assert [h.history_user for h in claim.history.all()] == [user, user]


# --- appearances ----------------------------------------------------------------------


def test_appearance_add_finds_the_quote_and_stores_the_real_slice():
    document = DocumentFactory()
    appearance = services.appearance_add(
        claim=ClaimFactory(), document=document, quote='"didn\'t know about  this"', by=system_user()
    )
    assert appearance.exact == "“didn’t know about this”"
    assert document.text[appearance.start : appearance.end] == appearance.exact
    assert appearance.prefix == document.text[appearance.start - 32 : appearance.start]
    assert appearance.suffix == document.text[appearance.end : appearance.end + 32]


def test_appearance_add_with_offsets_refuses_a_mismatched_quote_naming_the_field():
    document = DocumentFactory()
    start = document.text.index("$7.25")
    with pytest.raises(ValidationError) as excinfo:
        services.appearance_add(
            claim=ClaimFactory(), document=document, quote="$9.00", start=start, end=start + 5, by=system_user()
        )
    assert "does not match the document" in excinfo.value.message_dict["exact"][0]
    assert not Appearance.objects.exists()


def test_appearance_add_with_matching_offsets_is_stored():
    document = DocumentFactory()
    start = document.text.index("$7.25")
    appearance = services.appearance_add(
        claim=ClaimFactory(), document=document, quote="$7.25", start=start, end=start + 5, by=system_user()
    )
    assert (appearance.start, appearance.end) == (start, start + 5)


def test_appearance_add_refuses_a_quote_that_is_not_in_the_document():
    with pytest.raises(ValidationError) as excinfo:
        services.appearance_add(claim=ClaimFactory(), document=DocumentFactory(), quote="never said", by=system_user())
    assert "does not occur" in excinfo.value.message_dict["exact"][0]


def test_the_same_span_cannot_be_anchored_twice_for_one_claim():
    claim, document = ClaimFactory(), DocumentFactory()
    services.appearance_add(claim=claim, document=document, quote="$7.25 an hour", by=system_user())
    with pytest.raises(ValidationError, match="already anchored"):
        services.appearance_add(claim=claim, document=document, quote="$7.25 an hour", by=system_user())
    assert claim.appearances.count() == 1


def test_appearance_remove_deletes_only_the_anchor():
    appearance = AppearanceFactory()
    document = appearance.document
    services.appearance_remove(appearance=appearance, by=system_user())
    assert not Appearance.objects.exists()
    assert SourceDocument.objects.filter(pk=document.pk).exists()


def test_a_claim_knows_its_first_appearance_by_publication_date():
    from datetime import date

    claim = ClaimFactory()
    later = DocumentFactory(published_on=date(2020, 2, 1))
    earlier = DocumentFactory(published_on=date(2020, 1, 1))
    services.appearance_add(claim=claim, document=later, quote="$7.25 an hour", by=system_user())
    services.appearance_add(claim=claim, document=earlier, quote="$7.25 an hour", by=system_user())
    assert claim.first_appearance.document == earlier


def test_the_model_refuses_an_appearance_whose_quote_is_not_the_slice():
    document = DocumentFactory()
    start = document.text.index("$7.25")
    appearance = Appearance(
        claim=ClaimFactory(), document=document, exact="$9.99", start=start, end=start + 5, prefix="", suffix=""
    )
    with pytest.raises(ValidationError) as excinfo:
        appearance.full_clean()
    assert "does not match the document" in excinfo.value.message_dict["exact"][0]


def test_an_anchor_on_an_old_version_can_be_resolved_in_the_new_text(tmp_path):
    from claims import anchoring

    path = write(tmp_path / "a.txt", ARTICLE)
    old = services.document_import_file(path=path, by=system_user()).document
    appearance = services.appearance_add(claim=ClaimFactory(), document=old, quote="$7.25 an hour", by=system_user())
    new = services.document_import_file(path=write(path, "Correction appended.\n" + ARTICLE), by=system_user()).document
    selector = anchoring.resolve(
        new.text,
        exact=appearance.exact,
        prefix=appearance.prefix,
        suffix=appearance.suffix,
        start=appearance.start,
        end=appearance.end,
    )
    assert selector is not None
    assert new.text[selector.start : selector.end] == "$7.25 an hour"
    assert selector.start == appearance.start + len("Correction appended.\n")


@pytest.mark.postgres
# serialized_rollback: a plain transactional flush re-creates content types under new ids,
# and later serialized-rollback tests (tests/reviews, tests/e2e) then collide with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_editors_saving_at_once_one_wins_and_the_other_is_told():
    import threading

    from django.db import connection

    claim = ClaimFactory(text="Original.")
    barrier = threading.Barrier(2)
    outcomes = []

    def edit(text):
        try:
            copy = Claim.objects.get(pk=claim.pk)
            barrier.wait()
            services.claim_update(claim=copy, by=system_user(), expected_version=copy.version, text=text)
            outcomes.append("saved")
        except StaleVersion:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(text,)) for text in ("Editor A.", "Editor B.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "stale"]
    claim.refresh_from_db()
    assert claim.version == 2 and claim.text in {"Editor A.", "Editor B."}


# --- who acts ---------------------------------------------------------------------------


def test_services_refuse_a_write_that_names_nobody():
    with pytest.raises(NotPermitted) as err:
        services.entity_create(name="Someone", kind="person", by=None)
    assert err.value.rule == "user_required"
    with pytest.raises(TypeError, match="by"):
        services.entity_create(name="Someone", kind="person")
    assert not Entity.objects.exists()


def test_the_system_account_cannot_log_in_and_is_not_staff():
    user = system_user()
    assert user.username == "system" and not user.has_usable_password() and not user.is_staff
    assert user.has_perm("claims.add_claim") and system_user() == user
