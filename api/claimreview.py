"""schema.org ClaimReview (JSON-LD) from the feed's claim dicts (api.feed).

Strict in what we publish:
- `reviewRating` always carries `alternateName` (the verdict in words). `ratingValue`,
  `bestRating` and `worstRating` are given only for ratings on the numeric scale; an
  off-scale rating such as "Unproven" has no place between worst and best, so those three
  are omitted rather than invented.
- A verdict with a `valid_until` date says so as `expires`.
- A corrected verdict has `dateModified` and a `correction` (CorrectionComment) per
  correction; a retracted one also has `creativeWorkStatus: "Retracted"`.
- `itemReviewed` is a `Claim` whose `author` is the claimant (Person or Organization) and
  whose `appearance`/`firstAppearance` are the source articles (their URL when known, else
  their headline and outlet).
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings

from claims.models import Claim

CONTEXT = "https://schema.org"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def publisher() -> dict:
    return {"@type": "Organization", "name": settings.PUBLISHER_NAME, "url": settings.PUBLISHER_URL}


def public_url(path: str) -> str:
    """The absolute public URL of one of our paths."""
    return settings.PUBLISHER_URL.rstrip("/") + path


def _rating(rating: dict) -> dict:
    out = {"@type": "Rating", "alternateName": rating["label"]}
    if rating["value"] is not None:
        out.update(ratingValue=rating["value"], bestRating=rating["best"], worstRating=rating["worst"])
    return out


def _claimant(claimant: dict) -> dict:
    out = {"@type": "Person" if claimant["kind"] == "person" else "Organization", "name": claimant["name"]}
    if claimant["url"]:
        out["url"] = claimant["url"]
    return out


def _creative_work(appearance: dict) -> dict:
    work: dict = {"@type": "CreativeWork"}
    if appearance["document_url"]:
        work["url"] = appearance["document_url"]
    work["headline"] = appearance["title"] or appearance["outlet"] or f"Document {appearance['document']}"
    if appearance["outlet"]:
        work["publisher"] = {"@type": "Organization", "name": appearance["outlet"]}
    if appearance["published_on"]:
        work["datePublished"] = _iso(appearance["published_on"])
    return work


def claim_review(claim: dict, *, context: bool = True) -> dict:
    """One ClaimReview for a claim with a verdict (a dict from api.feed.represent_claims)."""
    verdict = claim["verdict"]
    # One CreativeWork per source document, however often the claim appears in it.
    works, seen = [], set()
    for appearance in claim["appearances"]:
        if appearance["document"] not in seen:
            seen.add(appearance["document"])
            works.append(_creative_work(appearance))
    item: dict = {"@type": "Claim", "author": _claimant(claim["claimant"]), "appearance": works}
    first = claim["first_appearance"]
    if first is not None:
        item["firstAppearance"] = _creative_work(first)
        if first["published_on"]:
            item["datePublished"] = _iso(first["published_on"])
    review: dict = {}
    if context:
        review["@context"] = CONTEXT
    review.update(
        {
            "@type": "ClaimReview",
            # The page hosting the fact-check (Google's guidelines), not the API resource.
            "url": public_url(Claim.page_path(claim["slug"])),
            "claimReviewed": claim["text"],
            "reviewRating": _rating(verdict["rating"]),
            "reviewBody": verdict["summary"],
            "author": publisher(),
            "datePublished": _iso(claim["published_at"]),
            "itemReviewed": item,
        }
    )
    if verdict["version"] > 1:
        review["dateModified"] = _iso(verdict["published_at"])
        later = [verdict, *claim["earlier_verdicts"]]
        review["correction"] = [
            {"@type": "CorrectionComment", "text": v["correction_note"], "datePublished": _iso(v["published_at"])}
            for v in later
            if v["version"] > 1
        ]
    if verdict["valid_until"] is not None:
        # schema.org CreativeWork.expires: the date after which the verdict no longer holds.
        review["expires"] = _iso(verdict["valid_until"])
    if claim["status"] == "retracted":
        review["creativeWorkStatus"] = "Retracted"
        # The rating shown is the one withdrawn: say so where a reader of the rating looks.
        review["reviewRating"]["ratingExplanation"] = f"Retracted: {verdict['correction_note']}"
    return review


def data_feed(claims: list[dict], *, changed_at: dict[int, datetime], modified: datetime | None) -> dict:
    """A schema.org DataFeed of DataFeedItems, each wrapping one ClaimReview (the fact-check feed shape).

    Retracted claims stay in the feed, marked (`creativeWorkStatus: "Retracted"`), so a consumer
    learns of the withdrawal. `dateModified` is the change log's time: of the claim's newest public
    change for an item (`changed_at`, by claim id), of the newest public change for the feed.
    """
    items = []
    for claim in claims:
        review = claim_review(claim, context=False)
        item = {
            "@type": "DataFeedItem",
            "dateCreated": review["datePublished"],
            "dateModified": _iso(changed_at.get(claim["id"]) or claim["updated_at"]),
            "url": review["url"],
            "item": [review],
        }
        if claim["status"] == "retracted":
            item["creativeWorkStatus"] = "Retracted"
        items.append(item)
    feed = {
        "@context": CONTEXT,
        "@type": "DataFeed",
        "name": f"{settings.PUBLISHER_NAME}: fact-checks",
        "author": publisher(),
    }
    if modified is not None:
        feed["dateModified"] = _iso(modified)
    feed["dataFeedElement"] = items
    return feed
