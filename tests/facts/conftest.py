import pytest

from tests.factories import ClaimFactory, EntityFactory


@pytest.fixture
def people(db):
    """The chain of the story as entities: campaign, vendor, call center, corrections department, inmates."""
    return {
        key: EntityFactory(name=name, slug=key)
        for key, name in [
            ("campaign", "Bloomberg 2020 campaign"),
            ("vendor", "Undisclosed vendor"),
            ("procom", "ProCom"),
            ("odoc", "Oklahoma Department of Corrections"),
            ("inmates", "Incarcerated call-center workers"),
            ("scallan", "John Scallan"),
            ("wood", "Julie Wood"),
        ]
    }


@pytest.fixture
def make_claim(db):
    def make(kind: str = "other", **kwargs):
        return ClaimFactory(kind=kind, **kwargs)

    return make
