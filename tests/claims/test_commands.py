import json
import stat

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.models import Appearance, Claim, Entity, SourceDocument
from claims.services import system_user

pytestmark = pytest.mark.django_db

ARTICLE = (
    "The vendor said inmates were paid $7.25 an hour.\u00a0The campaign “didn’t know.” The vendor said so twice.\n"
)


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "b.txt").write_text("Second article.\n", encoding="utf-8")
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "notes.md").write_text("not imported", encoding="utf-8")
    return folder


# --- import_documents -----------------------------------------------------------------


def test_import_documents_imports_the_txt_files_of_a_folder_in_order(articles):
    out = run("import_documents", str(articles))
    assert list(SourceDocument.objects.order_by("id").values_list("source_file", flat=True)) == ["a.txt", "b.txt"]
    assert out.splitlines()[0].startswith("created")
    assert out.splitlines()[-1] == "2 documents: 2 created, 0 unchanged, 0 new versions"


def test_import_documents_acts_as_the_system_account_or_the_named_user(articles, editor):
    run("import_documents", str(articles / "a.txt"))
    assert SourceDocument.history.get(source_file="a.txt").history_user == system_user()
    with pytest.raises(CommandError, match="no active user"):
        run("import_documents", str(articles / "b.txt"), "--as", "nobody-here")
    editor.user_permissions.add(Permission.objects.get(codename="add_sourcedocument"))
    run("import_documents", str(articles / "b.txt"), "--as", "editor")
    assert SourceDocument.history.get(source_file="b.txt").history_user == editor


def test_import_documents_twice_reports_unchanged(articles):
    run("import_documents", str(articles))
    out = run("import_documents", str(articles))
    assert SourceDocument.objects.count() == 2
    assert out.splitlines()[-1] == "2 documents: 0 created, 2 unchanged, 0 new versions"


def test_import_documents_reports_a_new_version(articles):
    run("import_documents", str(articles))
    (articles / "a.txt").write_text(ARTICLE + "Update.\n", encoding="utf-8")
    out = run("import_documents", str(articles / "a.txt"))
    assert out.splitlines()[-1] == "1 document: 0 created, 0 unchanged, 1 new versions"
    assert SourceDocument.objects.filter(source_file="a.txt").count() == 2


def test_a_new_version_reanchors_the_quotes_and_reports_the_ones_that_changed(articles):
    from claims.services import appearance_add
    from tests.factories import ClaimFactory

    run("import_documents", str(articles))
    old = SourceDocument.objects.get(source_file="a.txt")
    kept = appearance_add(claim=ClaimFactory(slug="pay-claim"), document=old, quote="$7.25 an hour", by=system_user())
    gone = appearance_add(
        claim=ClaimFactory(slug="knowledge-claim"), document=old, quote="didn’t know", by=system_user()
    )
    (articles / "a.txt").write_text("Update: new figures.\n\n" + ARTICLE.replace("twice", "once"), encoding="utf-8")

    out = run("import_documents", str(articles / "a.txt"))

    assert "2 anchors in the previous version: 0 intact, 1 moved, 1 changed, 0 orphaned; 0 re-checks opened" in out
    assert "changed: appearance of claim knowledge-claim: 'didn’t know' (the words around it changed" in out
    assert "pay-claim" not in out
    new = SourceDocument.objects.get(previous_version=old)
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (kept.document, kept.anchor_state) == (new, "moved")  # an unchanged quote follows the new version
    assert new.text[kept.start : kept.end] == "$7.25 an hour"
    assert (gone.document, gone.anchor_state) == (old, "changed")  # stays where it was true, until confirmed
    assert new.text[gone.candidate_start : gone.candidate_end] == "didn’t know"


def test_a_run_with_one_bad_file_writes_nothing_and_names_the_file(articles, tmp_path):
    bad = tmp_path / "zz_bad.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError) as excinfo:
        run("import_documents", str(articles), str(bad))
    assert str(bad) in str(excinfo.value)
    assert "nothing was imported" in str(excinfo.value)
    assert not SourceDocument.objects.exists()


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        run("import_documents", str(tmp_path / "missing.txt"))


def test_two_different_files_with_one_name_in_a_run_are_refused(articles, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("A different a.txt\n", encoding="utf-8")
    with pytest.raises(CommandError, match="same name"):
        run("import_documents", str(articles), str(other / "a.txt"))
    assert not SourceDocument.objects.exists()


def test_many_files_show_a_progress_bar_instead_of_lines(tmp_path):
    for n in range(25):
        (tmp_path / f"{n:03}.txt").write_text(f"Article {n}.\n", encoding="utf-8")
    out = run("import_documents", str(tmp_path))
    assert out.splitlines() == ["25 documents: 25 created, 0 unchanged, 0 new versions"]


def test_import_documents_exits_non_zero_from_the_shell(tmp_path):
    import subprocess
    import sys

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_documents", str(empty)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert f"{empty}: the file is empty" in done.stderr


# --- load_curated ------------------------------------------------------------------------


@pytest.fixture
def curated(articles, tmp_path):
    run("import_documents", str(articles))
    data = {
        "entities": [
            {"key": "vendor", "name": "The Vendor", "kind": "organisation", "description": "", "url": ""},
            {"key": "campaign", "name": "The Campaign", "kind": "organisation", "description": "", "url": ""},
        ],
        "documents": [
            {
                "file": "a.txt",
                "title": "Prison labor",
                "outlet": "The Hill",
                "author": "",
                "published_on": "2019-12-24",
                "url": "https://example.org/a",
            }
        ],
        "claims": [
            {
                "key": "vendor-paid-725",
                "kind": "wage",
                "text": "Inmates were paid $7.25 an hour.",
                "claimant": "vendor",
                "entities": ["campaign"],
                "appearances": [{"document": "a.txt", "quote": "paid $7.25 an hour", "occurrence": 1}],
            },
            {
                "key": "vendor-said",
                "kind": "other",
                "text": "The vendor said so.",
                "claimant": "vendor",
                "entities": [],
                "appearances": [{"document": "a.txt", "quote": "The vendor said", "occurrence": 2}],
            },
        ],
    }
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, data


def test_load_curated_loads_entities_metadata_claims_and_appearances(curated):
    path, _ = curated
    out = run("load_curated", str(path))
    claim = Claim.objects.get(slug="vendor-paid-725")
    assert claim.claimant.slug == "vendor"
    assert [e.slug for e in claim.entities.all()] == ["campaign"]
    document = SourceDocument.objects.get(source_file="a.txt")
    assert (document.title, str(document.published_on)) == ("Prison labor", "2019-12-24")
    second = Claim.objects.get(slug="vendor-said").appearances.get()
    assert second.start == ARTICLE.rindex("The vendor said")
    assert "2 claims (2 created with 2 appearances" in out


def test_load_curated_history_names_the_system_account(curated):
    path, _ = curated
    run("load_curated", str(path))
    claim = Claim.objects.get(slug="vendor-paid-725")
    assert claim.created_by == system_user() == claim.history.earliest().history_user
    assert {a.history.earliest().history_user for a in claim.appearances.all()} == {system_user()}


def test_load_curated_twice_creates_and_changes_nothing(curated):
    path, _ = curated
    run("load_curated", str(path))
    before = (Entity.objects.count(), Claim.objects.count(), Appearance.objects.count(), Claim.history.count())
    out = run("load_curated", str(path))
    after = (Entity.objects.count(), Claim.objects.count(), Appearance.objects.count(), Claim.history.count())
    assert before == after
    assert "0 created" in out and "2 already present" in out


def test_load_curated_never_overwrites_an_editors_work(curated):
    path, _ = curated
    run("load_curated", str(path))
    claim = Claim.objects.get(slug="vendor-paid-725")
    Claim.objects.filter(pk=claim.pk).update(text="Edited by an editor.", status=Claim.Status.PUBLISHED)
    SourceDocument.objects.filter(source_file="a.txt").update(title="Editor's title")
    run("load_curated", str(path))
    claim.refresh_from_db()
    assert claim.text == "Edited by an editor."
    assert SourceDocument.objects.get(source_file="a.txt").title == "Editor's title"


def test_load_curated_with_a_bad_quote_names_the_claim_and_writes_nothing(curated):
    path, data = curated
    data["claims"][1]["appearances"][0]["quote"] = "words that are not in the article"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        run("load_curated", str(path))
    message = str(excinfo.value)
    assert "claim 'vendor-said'" in message and "does not occur" in message
    assert not Claim.objects.exists()
    assert not Entity.objects.exists()
    assert SourceDocument.objects.get(source_file="a.txt").title == ""


def test_load_curated_with_an_unknown_claimant_names_the_claim(curated):
    path, data = curated
    data["claims"][0]["claimant"] = "nobody"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="claim 'vendor-paid-725': unknown entity 'nobody'"):
        run("load_curated", str(path))
    assert not Claim.objects.exists()


def test_load_curated_needs_the_documents_imported(curated):
    path, data = curated
    data["documents"][0]["file"] = "never-imported.txt"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=r"'never-imported\.txt' is not imported"):
        run("load_curated", str(path))


def test_load_curated_refuses_invalid_json(tmp_path):
    path = tmp_path / "claims.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("load_curated", str(path))


def test_load_curated_applies_structured_blocks(curated):
    from claims.models import WageFigure

    path, data = curated
    data["claims"][0]["wage"] = {
        "amount": "7.25", "currency": "USD", "period": "hour", "qualifier": "exactly",
        "payer": None, "payee": None, "stated_by": "vendor", "measure": "inmate pay", "refers_from": None,
        "refers_to": None,
    }  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    run("load_curated", str(path))
    run("load_curated", str(path))
    figure = WageFigure.objects.get()
    assert (str(figure.amount), figure.claim.slug) == ("7.25", "vendor-paid-725")


def test_load_curated_with_a_bad_structured_block_writes_nothing(curated):
    path, data = curated
    data["claims"][0]["wage"] = {"amount": "7.25"}  # no period
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="claim 'vendor-paid-725', wage block: period"):
        run("load_curated", str(path))
    assert not Claim.objects.exists()


# --- create_demo_accounts -------------------------------------------------------------------


@pytest.fixture
def project_dir(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.DEMO_ACCOUNTS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    return tmp_path


def test_create_demo_accounts_creates_an_editor_and_two_reviewers(project_dir):
    out = run("create_demo_accounts")
    users = get_user_model().objects.order_by("username")
    assert [(u.username, u.is_staff, [g.name for g in u.groups.all()]) for u in users] == [
        ("editor", True, ["Editors"]),
        ("reviewer1", True, ["Reviewers"]),
        ("reviewer2", True, ["Reviewers"]),
    ]
    stored = (project_dir / "var" / "demo_accounts.txt").read_text().split()
    assert stored[0] == "editor" and stored[1] in out
    assert users[0].check_password(stored[1])
    assert stat.S_IMODE((project_dir / "var" / "demo_accounts.txt").stat().st_mode) == 0o600


def test_create_demo_accounts_twice_changes_nothing_and_prints_the_same_passwords(project_dir):
    first = run("create_demo_accounts")
    hashes = list(get_user_model().objects.order_by("username").values_list("password", flat=True))
    second = run("create_demo_accounts")
    assert get_user_model().objects.count() == 3
    assert list(get_user_model().objects.order_by("username").values_list("password", flat=True)) == hashes
    passwords = [line.split()[3] for line in first.splitlines()[:3]]
    assert [line.split()[3] for line in second.splitlines()[:3]] == passwords


def test_create_demo_accounts_is_refused_in_production(project_dir, settings):
    settings.DEMO_ACCOUNTS = False
    with pytest.raises(CommandError, match="local use only"):
        run("create_demo_accounts")
    assert not get_user_model().objects.exists()
    assert not (project_dir / "var").exists()


@pytest.mark.parametrize("target", ["outside", "inside"])
def test_import_documents_refuses_a_symlink_in_a_folder_and_imports_nothing(articles, tmp_path, target):
    secret = tmp_path / "secret.txt" if target == "outside" else articles / "a.txt"
    if target == "outside":
        secret.write_text("Operator's private notes.\n", encoding="utf-8")
    (articles / "c.txt").symlink_to(secret)
    with pytest.raises(CommandError, match=r"c\.txt: is a symbolic link"):
        run("import_documents", str(articles))
    assert not SourceDocument.objects.exists()


def test_import_documents_refuses_a_symlink_given_directly(articles, tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(articles / "a.txt")
    with pytest.raises(CommandError, match="is a symbolic link"):
        run("import_documents", str(link))
    assert not SourceDocument.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.org/a", "file:///etc/passwd", "javascript:alert(1)"])
def test_entity_and_document_urls_must_be_web_pages(url):
    from django.core.exceptions import ValidationError

    from tests.factories import DocumentFactory, EntityFactory

    for instance in (EntityFactory.build(url=url), DocumentFactory.build(url=url)):
        with pytest.raises(ValidationError) as error:
            instance.full_clean()
        assert "url" in error.value.message_dict
