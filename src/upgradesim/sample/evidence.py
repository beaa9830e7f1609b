"""Evidence files of the sample estate (``evidence/``): staging test runs, performance summaries,
UAT sign-offs, a restore drill, training records and a smoke run. One gate fails on purpose: the
staging checkout-submit p95 is 14% above production (the plan allows 10%)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_evidence", "EVIDENCE", "AS_OF"]

AS_OF = "2027-03-05T12:00:00Z"  # the day before the rollout: when the staging gates are checked

SUITES = {  # classname -> test names
    "checkout.CartTest": ["add_item", "remove_item", "apply_coupon", "empty_cart", "currency_rounding"],
    "checkout.PaymentTest": ["card_ok", "card_declined", "three_ds_challenge", "refund", "partial_refund"],
    "orders.OrderApiTest": ["create", "get", "list_paged", "cancel", "amend", "soap_bridge_create"],
    "orders.LegacyXmlExportTest": ["export_v1", "export_v2"],
    "fulfilment.ShippingTest": ["label", "track", "split_shipment", "carrier_timeout"],
    "notifications.EmailTest": ["order_confirmation", "shipping_update", "bounce_handling"],
    "reporting.MonthEndTest": ["close_period", "erp_export", "reconcile"],
    "contract.payments": ["authorize_contract", "capture_contract"],
}


def _junit(stamp: str, failing: set[str], name: str) -> str:
    cases, failures = [], 0
    suites = {c: t + [f"case_{i:02d}" for i in range(1, 15)] for c, t in SUITES.items()}  # 142 tests
    for classname, tests in suites.items():
        for test in tests:
            tid = f"{classname}::{test}"
            if tid in failing:
                failures += 1
                cases.append(f'    <testcase classname="{classname}" name="{test}" time="0.4">'
                             f'<failure message="assertion failed">expected 200, got 500</failure></testcase>')
            else:
                cases.append(f'    <testcase classname="{classname}" name="{test}" time="0.2"/>')
    total = len(cases)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="{name}" tests="{total}" '
            f'failures="{failures}" errors="0" skipped="0" timestamp="{stamp}">\n' + "\n".join(cases)
            + "\n  </testsuite>\n</testsuites>\n")


PERF = [("checkout-submit", 180, 410), ("cart-view", 60, 140), ("order-status", 45, 95), ("search", 70, 210),
        ("admin-report", 900, 2400)]

EVIDENCE = {  # file -> (kind, env, extra options for `evidence add`)
    "regression-previous.xml": ("regression", "staging", ()),
    "regression.xml": ("regression", "staging", ()),
    "performance-prod.csv": ("performance", "prod", ("--at", "2027-02-15T10:00:00Z")),
    "performance-staging.csv": ("performance", "staging", ("--at", "2027-02-27T16:00:00Z")),
    "uat-business-owner.yaml": ("uat", "staging", ()),
    "uat-qa-lead.yaml": ("uat", "staging", ()),
    "restore-drill.yaml": ("dr_drill", "staging", ()),
    "training.csv": ("training", "staging", ()),
}


def write_evidence(folder: Path) -> list[Path]:
    out = folder / "evidence"
    out.mkdir(parents=True, exist_ok=True)
    flaky = {"orders.LegacyXmlExportTest::export_v1"}  # failing before, still failing: not new
    files = {
        "regression-previous.xml": _junit("2027-02-20T18:00:00", flaky, "staging-regression"),
        "regression.xml": _junit("2027-02-27T18:00:00", flaky, "staging-regression"),
        "performance-prod.csv": "transaction,p50_ms,p95_ms,p99_ms,count\n" + "".join(
            f"{t},{p50},{p95},{p95 * 1.6:.0f},{10000 - i * 1500}\n" for i, (t, p50, p95) in enumerate(PERF)),
        "performance-staging.csv": "transaction,p50_ms,p95_ms,p99_ms,count\n" + "".join(
            f"{t},{p50 * 1.05:.0f},{p95 * (1.14 if t == 'checkout-submit' else 1.04):.0f},{p95 * 1.7:.0f},2000\n"
            for t, p50, p95 in PERF),
        "uat-business-owner.yaml": ("scope: order platform 7.0 on staging (checkout, fulfilment, reporting)\n"
                                    "signer: sam.owner\nrole: business-owner\noutcome: approved_with_conditions\n"
                                    "conditions: [month-end reporting re-tested after the first production weekend]\n"
                                    "signed_at: 2027-03-01T15:00:00Z\n"),
        "uat-qa-lead.yaml": ("scope: order platform 7.0 regression and UAT\nsigner: lee.qa\nrole: qa-lead\n"
                             "outcome: approved\nsigned_at: 2027-03-02T11:00:00Z\n"),
        "restore-drill.yaml": ("drill: restore\nperformed_at: 2027-01-20T09:00:00Z\nrto_target_min: 60\n"
                               "rto_achieved_min: 45\nrpo_target_min: 15\nrpo_achieved_min: 5\noutcome: passed\n"),
        "training.csv": ("person,role,course,completed_at\ndana.ops,executor,orderhub-7-operations,2027-02-10T10:00:00Z\n"
                         "lee.qa,validator,orderhub-7-operations,2027-02-11T10:00:00Z\n"
                         "morgan.cab,approver,change-board-briefing,2027-02-12T10:00:00Z\n"),
        "smoke-wave.xml": _junit("2027-03-06T04:50:00", set(), "prod-smoke"),
    }
    paths = []
    for name, text in files.items():
        path = out / name
        path.write_text(text)
        paths.append(path)
    return paths
