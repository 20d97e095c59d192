"""RESULTS.md's goal lines read the figures the right way round (met / NOT met)."""

from bench import run


def _edge(ratio_static: float, last_stale: float | None) -> dict:
    return {
        "nginx": "1.22.1",
        "seconds": 5,
        "connections": 16,
        "reads": {
            "feed": {
                "bytes": 1000,
                "second_request": "HIT",
                "rps_proxied": 1000 * ratio_static,
                "rps_static": 1000,
                "ratio": ratio_static,
                "p50_proxied_ms": 1.0,
                "p50_static_ms": 0.5,
                "errors": 0,
            }
        },
        "fresh": {
            "path": "/api/claims/",
            "claim": 1,
            "max_age": 10,
            "readings": 100,
            "statuses": [200],
            "cache_statuses": ["HIT"],
            "last_stale_after_s": last_stale,
            "first_fresh_after_s": 7.0,
            "stale_after_fresh": False,
            "met": last_stale is None or last_stale <= 10,
        },
    }


def test_edge_goal_needs_half_the_static_rate_and_no_copy_older_than_max_age():
    good = "\n".join(run._report_edge(_edge(0.8, 6.9)))
    assert "0.80 met" in good and "**met**" in good
    bad = "\n".join(run._report_edge(_edge(0.3, 12.0)))
    assert "0.30 NOT met" in bad and "**NOT met**" in bad


def test_writes_compare_each_arm_with_the_run_without_the_log():
    row = {"operation": "publish", "editors": 1, "n": 8, "p99_ms": 30.0, "writes_per_s": 40.0, "errors": 0}
    writes = {
        "per_editor": 8,
        "runs": [
            {**row, "arm": "as deployed (log + outbox)", "p50_ms": 21.0, "first_error": None},
            {**row, "arm": "log, no outbox", "p50_ms": 23.0, "first_error": None},
            {**row, "arm": "neither", "p50_ms": 20.0, "first_error": None},
        ],
    }
    text = "\n".join(run._report_writes(writes))
    assert "1.05 met" in text
    assert "1.15 NOT met" in text


def test_scale_ratios_and_generation_time():
    request = {"p50_ms": 10.0, "queries": 7}
    base = {"claims": 100, "deep_rows": 60, "requests": {"feed": request}, "matcher": None, "sizes": {}}
    big = {
        "claims": 1000,
        "deep_rows": 600,
        "requests": {"feed": {**request, "p50_ms": 14.0}},
        "matcher": None,
        "sizes": {},
    }
    text = "\n".join(run._report_scale({"base": base, "big": big, "generated": {"claims": 1000, "seconds": 700}}))
    assert "1.40 NOT met" in text
    assert "NOT within the 10-minute goal" in text


def test_the_facts_endpoints_are_each_judged_against_their_own_baseline():
    def measured(p50):
        return {
            "closed": {"p50_ms": p50, "rps": 1000 / p50, "bad_status": 0, "errors": 0},
            "fixed_rate": {"bad_status": 0, "errors": 0},
        }

    runs = {
        "entity graph": measured(60),
        "baseline, entity graph": measured(40),
        "timeline": measured(90),
        "baseline, timeline": measured(40),
    }
    runs |= {"conflicts": measured(20)}  # no baseline measured (SQLite): no row
    phase = {
        "runs": runs,
        "memory_phase": {"errors": 0, "statuses": {}, "requests": 10},
        "rss_after_warmup": [100.0],
        "rss_after_memory_phase": [100.0],
    }
    table = "\n".join(run._goals(phase, None, read_path=True))
    assert "| entity graph: p50 ÷ its own baseline's (≤ 2) | 1.50 | met |" in table
    assert "| timeline: p50 ÷ its own baseline's (≤ 2) | 2.25 | NOT met |" in table
    assert "conflicts:" not in table


def test_a_rewrite_keeps_the_hand_written_matching_section(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    monkeypatch.setattr(run, "RESULTS", results)
    assert run.kept_matching_section() == ""  # no file yet
    results.write_text(f"# Feed benchmark results\n\nold figures\n\n{run.MATCHING_HEADING}\n\nquery median 12 ms\n")
    kept = run.kept_matching_section()
    assert kept.startswith(f"\n{run.MATCHING_HEADING}") and "query median 12 ms" in kept
    assert "old figures" not in kept
