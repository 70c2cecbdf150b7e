"""What NUM costs a month on AWS, from the AWS calls each operation makes (counted on moto by the tests' call counter:
tests/tests/aws_calls.rs writes them with NUM_CALLS_OUT) and list prices kept here as dated constants.

Called by scripts/cost-model, which runs that test first; `--calls FILE` prices counts already written.
"""

import argparse
import json
import sys

# --- prices ------------------------------------------------------------------------------------------------------------
# US dollars, public list prices of the AWS pages as of PRICES_AS_OF, us-east-1 figures (eu-west-2, London, is the
# same for KMS, SES, Lambda requests and Secrets Manager, and within about 15% above for the rest). Check them on
# aws.amazon.com/<service>/pricing before a budget rests on them; change the date when you do.
PRICES_AS_OF = "2025-11-01"
PRICE = {
    "dynamodb_write_million": 0.625,  # on-demand write request units (since the 2024-11 price cut)
    "dynamodb_read_million": 0.125,  # on-demand read request units (a strongly consistent read of up to 4 KB is one)
    "dynamodb_gb_month": 0.25,  # storage; the first 25 GB a month are free
    "kms_key_month": 1.00,  # each customer managed key
    "kms_requests_10k": 0.03,  # 20,000 requests a month free
    "ses_email_1k": 0.10,  # outbound email
    "sns_sms_uk": 0.0395,  # one SMS segment to a UK number, carrier fees included (shown apart)
    "lambda_requests_million": 0.20,
    "lambda_gb_second_arm": 0.0000133334,  # 1M requests and 400,000 GB-s a month free
    "http_api_million": 1.00,  # API Gateway HTTP API requests
    "cloudwatch_alarm_month": 0.10,  # standard resolution; 10 alarms free
    "logs_ingest_gb": 0.50,  # 5 GB a month free
    "secret_month": 0.40,
}
FREE = {"kms_requests": 20_000, "lambda_requests": 1_000_000, "lambda_gb_seconds": 400_000, "alarms": 10, "logs_gb": 5}

# --- NUM's scale ----------------------------------------------------------------------------------------------------------
MONTH = {
    "members": 4_000,
    "reports": 1_000 / 12,
    "deliveries": 120_000 / 12,
    # Assumptions, each stated: the share of deliveries that are texts (every fourth member takes texts as well as
    # email in the tests, so a fifth of deliveries), members joining a month (a year's turnover of the whole list),
    # published alerts (six in ten reports), members' page views (a third of deliveries), staff requests per report
    # (review, casework, messages), stream invocations (deliver-alert takes 25 records a batch).
    "sms_share": 0.20,
    "joins": 4_000 / 12,
    "alerts": 1_000 / 12 * 0.6,
    "page_views_per_delivery": 1 / 3,
    "staff_requests_per_report": 30,
    "deliver_batch": 25,
}
# Fixed resources in infra/template.yaml.
FIXED = {"kms_keys": 3, "alarms": 21, "secrets": 1}
# Billed duration and memory per invocation (assumed, from the cold-start bench's first invocations and the template's
# memory sizes; small next to the request prices at this scale).
LAMBDA = {"http_ms": 60, "stream_ms": 300, "memory_gb": 0.5, "log_kb_per_invocation": 2}

DYNAMO_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
DYNAMO_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def split(calls):
    """DynamoDB writes, DynamoDB reads, KMS requests, emails, texts, other SNS calls, per the counter's names."""
    out = {"ddb_w": 0, "ddb_r": 0, "kms": 0, "email": 0, "sms": 0, "sns_other": 0}
    for name, n in calls.items():
        service, op = name.split(".", 1)
        if service == "DynamoDB":
            # A transaction is billed two units per item; the counter sees one call, so count two.
            if op.startswith("Transact"):
                n *= 2
            if op in DYNAMO_WRITES:
                out["ddb_w"] += n
            elif op in DYNAMO_READS:
                out["ddb_r"] += n
        elif service == "KMS":
            out["kms"] += n
        elif service == "SESv2" and op == "SendEmail":
            out["email"] += n
        elif service == "SNS" and op == "Publish":
            out["sms"] += n
        elif service == "SNS":
            out["sns_other"] += n
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", required=True, help="the JSON the aws_calls test wrote")
    args = ap.parse_args()
    counts = json.load(open(args.calls))
    per = {k: split(v) for k, v in counts.items() if isinstance(v, dict)}
    deliveries_measured = counts["deliveries"]
    m = MONTH

    # Operations a month, and the measured calls of one of each.
    per_delivery = {k: v / deliveries_measured for k, v in per["alert_delivered"].items()}
    ops = [
        ("members joining", m["joins"], per["member_joins"]),
        ("reports submitted", m["reports"], per["report_submitted"]),
        ("reports drafted", m["reports"], per["report_drafted"]),
        # The measured review (list, open, publish: three requests) stands for three staff requests.
        ("staff requests", m["reports"] * m["staff_requests_per_report"] / 3, per["alert_reviewed_and_published"]),
        ("deliveries", m["deliveries"], per_delivery),
        ("members' page views", m["deliveries"] * m["page_views_per_delivery"], per["members_page"]),
    ]
    total = {"ddb_w": 0.0, "ddb_r": 0.0, "kms": 0.0, "email": 0.0, "sms": 0.0, "sns_other": 0.0}
    print(f"AWS calls per operation (measured on moto by tests/tests/aws_calls.rs), and a month at NUM's scale")
    print()
    print("| operation | a month | DynamoDB writes | DynamoDB reads | KMS | SES | SNS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, times, c in ops:
        print(f"| {name} | {times:,.0f} | {c['ddb_w']:.2f} | {c['ddb_r']:.2f} | {c['kms']:.2f} | {c['email']:.2f} | {c['sms'] + c['sns_other']:.2f} |")
        for k in total:
            total[k] += times * c[k]
    # The delivery figures are for the mix of the test (a fifth texts); scale the messages to the month's mix.
    total["email"] = m["deliveries"] * (1 - m["sms_share"]) + m["joins"] * per["member_joins"]["email"]
    total["sms"] = m["deliveries"] * m["sms_share"] + m["joins"] * per["member_joins"]["sms"]

    http = m["joins"] * 3 + m["reports"] + m["reports"] * m["staff_requests_per_report"] + m["deliveries"] * m["page_views_per_delivery"]
    stream = m["reports"] * 2 + (m["deliveries"] / m["deliver_batch"]) + m["alerts"] + m["joins"]
    scheduled = 60 * 24 * 30  # staff-notices, once a minute
    invocations = http + stream + scheduled
    gb_s = (http * LAMBDA["http_ms"] + (stream + scheduled) * LAMBDA["stream_ms"]) / 1000 * LAMBDA["memory_gb"]
    logs_gb = invocations * LAMBDA["log_kb_per_invocation"] / 1024 / 1024

    p = PRICE
    lines = [
        ("DynamoDB", total["ddb_w"] / 1e6 * p["dynamodb_write_million"] + total["ddb_r"] / 1e6 * p["dynamodb_read_million"],
         f"{total['ddb_w']:,.0f} writes, {total['ddb_r']:,.0f} reads; storage under the free 25 GB"),
        ("KMS", FIXED["kms_keys"] * p["kms_key_month"] + max(0, total["kms"] - FREE["kms_requests"]) / 1e4 * p["kms_requests_10k"],
         f"{FIXED['kms_keys']} keys; {total['kms']:,.0f} requests ({FREE['kms_requests']:,} free)"),
        ("SES", total["email"] / 1e3 * p["ses_email_1k"], f"{total['email']:,.0f} emails"),
        ("Lambda", max(0, invocations - FREE["lambda_requests"]) / 1e6 * p["lambda_requests_million"]
         + max(0, gb_s - FREE["lambda_gb_seconds"]) * p["lambda_gb_second_arm"],
         f"{invocations:,.0f} invocations, {gb_s:,.0f} GB-s (within the free tier)"),
        ("API Gateway (HTTP API)", http / 1e6 * p["http_api_million"], f"{http:,.0f} requests"),
        ("CloudWatch", max(0, FIXED["alarms"] - FREE["alarms"]) * p["cloudwatch_alarm_month"]
         + max(0, logs_gb - FREE["logs_gb"]) * p["logs_ingest_gb"],
         f"{FIXED['alarms']} alarms ({FREE['alarms']} free), {logs_gb:.2f} GB of logs"),
        ("Secrets Manager", FIXED["secrets"] * p["secret_month"], f"{FIXED['secrets']} secret"),
        ("SNS (non-SMS), SQS, Scheduler, Cognito, CloudFront, S3", 0.0, "within their free tiers at this scale"),
    ]
    sum_ = sum(c for _, c, _ in lines)
    sms_cost = total["sms"] * p["sns_sms_uk"]
    print()
    print(f"A month: {m['members']:,} members, {m['reports']:,.0f} reports, {m['deliveries']:,.0f} deliveries "
          f"({m['sms_share']:.0%} texts); prices as of {PRICES_AS_OF} (us-east-1 list)")
    print()
    print("| service | USD a month | share | what |")
    print("| --- | ---: | ---: | --- |")
    for name, cost, what in lines:
        print(f"| {name} | {cost:.2f} | {cost / sum_:.0%} | {what} |")
    print(f"| **total, SMS apart** | **{sum_:.2f}** | 100% | goal: under 5.00 |")
    print(f"| SMS (SNS, UK, carrier fees included) | {sms_cost:.2f} | apart | {total['sms']:,.0f} texts at {p['sns_sms_uk']} |")
    print()
    print(f"goal (under 5 USD a month besides SMS): {'met' if sum_ < 5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
