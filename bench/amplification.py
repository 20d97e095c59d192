"""Time the request-amplification cases against a running server (issue 11).

    python -m bench.amplification --url http://127.0.0.1:8000 --token EDITOR_TOKEN [--nobody-token T]

Each case is one request whose body asks for many lookups: 100,000 conflict ids to cite,
30,000 usernames to assign, 20,000 entity slugs (as an editor, and as a token holder without
permissions). Lists are refused on their length before any lookup and permission before the
body, so each should take about as long as an empty request. Prints the status, the answer's
size and the seconds per case, and the worst time.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request


def post(url: str, token: str, body: dict) -> tuple[int, int, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Authorization": f"Token {token}", "Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            status, size = response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        status, size = exc.code, len(exc.read())
    return status, size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="An editor's API token.")
    parser.add_argument("--nobody-token", help="A token of a user without permissions.")
    parser.add_argument("--claim", type=int, default=1, help="A claim id for the workflow cases.")
    args = parser.parse_args()
    api = args.url.rstrip("/") + "/api"
    cases = [
        (
            "100,000 ids (publish cited_conflicts)",
            args.token,
            f"{api}/claims/{args.claim}/publish/",
            {"rating": "true", "summary": "s", "cited_conflicts": list(range(1, 100_001))},
        ),
        (
            "30,000 usernames (assign)",
            args.token,
            f"{api}/claims/{args.claim}/assign/",
            {"reviewers": [f"user{n}" for n in range(30_000)]},
        ),
        (
            "20,000 entity slugs (create claim)",
            args.token,
            f"{api}/claims/",
            {"text": "x", "kind": "wage", "claimant": "x", "entities": [f"entity-{n}" for n in range(20_000)]},
        ),
    ]
    if args.nobody_token:
        cases.append(("20,000 entity slugs, no permission", args.nobody_token, f"{api}/claims/", cases[2][3]))
    worst = 0.0
    for name, token, url, body in cases:
        status, size, seconds = post(url, token, body)
        worst = max(worst, seconds)
        print(f"{name:42} {status}  {size:>8} bytes  {seconds:7.3f} s")
    print(f"worst request: {worst:.3f} s")


if __name__ == "__main__":
    main()
