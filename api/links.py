"""OpenAPI links: which response gives the id (and the ETag) the next request needs.

A client (or Schemathesis's stateful phase) follows them from a list or a create to the claim's
page, its edit and its workflow transitions, instead of guessing ids. drf-spectacular has no
per-response links, so a postprocessing hook adds them to the finished schema.
"""

from __future__ import annotations

THIS_CLAIM = {"id": "$request.path.id"}
CREATED_CLAIM = {"id": "$response.body#/id"}
FIRST_ITEM = {"id": "$response.body#/results/0/id"}
# The edit needs the ETag of the claim as loaded: the If-Match of PUT and PATCH.
EDIT = {**THIS_CLAIM, "header.If-Match": "$response.header.ETag"}

# (path, method, status) -> {link name: (operationId, parameters)}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("/api/claims/", "get", "200"): {
        "GetFirstClaim": ("claims_retrieve", FIRST_ITEM),
        "GetFirstClaimReview": ("claims_claimreview_retrieve", FIRST_ITEM),
    },
    ("/api/claims/", "post", "201"): {
        "GetCreatedClaim": ("claims_retrieve", CREATED_CLAIM),
        "AddAppearance": ("claims_appearances_create", CREATED_CLAIM),
        "SubmitCreatedClaim": ("claims_submit_create", CREATED_CLAIM),
    },
    ("/api/claims/{id}/", "get", "200"): {
        "UpdateClaim": ("claims_update", EDIT),
        "PartialUpdateClaim": ("claims_partial_update", EDIT),
        "GetClaimReview": ("claims_claimreview_retrieve", THIS_CLAIM),
        "Submit": ("claims_submit_create", THIS_CLAIM),
        "Assign": ("claims_assign_create", THIS_CLAIM),
        "Review": ("claims_reviews_create", THIS_CLAIM),
        "SendBack": ("claims_send_back_create", THIS_CLAIM),
        "Publish": ("claims_publish_create", THIS_CLAIM),
        "Correct": ("claims_correct_create", THIS_CLAIM),
        "Retract": ("claims_retract_create", THIS_CLAIM),
    },
    ("/api/claims/{id}/submit/", "post", "200"): {"AssignReviewers": ("claims_assign_create", THIS_CLAIM)},
    ("/api/claims/{id}/assign/", "post", "200"): {"RecordReview": ("claims_reviews_create", THIS_CLAIM)},
    ("/api/claims/{id}/reviews/", "post", "201"): {
        "Publish": ("claims_publish_create", THIS_CLAIM),
        "SendBack": ("claims_send_back_create", THIS_CLAIM),
    },
    ("/api/claims/{id}/publish/", "post", "200"): {
        "Correct": ("claims_correct_create", THIS_CLAIM),
        "Retract": ("claims_retract_create", THIS_CLAIM),
        "GetClaimReview": ("claims_claimreview_retrieve", THIS_CLAIM),
    },
    ("/api/claims/{id}/send-back/", "post", "200"): {"Resubmit": ("claims_submit_create", THIS_CLAIM)},
    ("/api/documents/", "get", "200"): {"GetFirstDocument": ("documents_retrieve", FIRST_ITEM)},
}


def add_links(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add LINKS to the responses they start from."""
    operation_ids = {
        operation["operationId"] for operations in result["paths"].values() for operation in operations.values()
    }
    for (path, method, status), links in LINKS.items():
        response = result["paths"].get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue  # e.g. a schema generated for one area only
        response["links"] = {
            name: {"operationId": operation_id, "parameters": dict(parameters)}
            for name, (operation_id, parameters) in links.items()
            if operation_id in operation_ids
        }
    return result
