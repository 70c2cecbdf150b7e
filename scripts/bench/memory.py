"""Peak resident memory of each Lambda binary over a full batch, measured from outside.

Every function is started once and kept running, as a warm Lambda instance is (cold_start.Instance: the same fake
Runtime API on loopback, the same environment and moto set-up as the cold-start bench). Its high-water mark (VmHWM in
/proc/<pid>/status) is read three times: after start-up, after the light first event the cold-start bench gives it,
and after its heaviest work here. The data is made by the functions themselves, in the order the system makes it:

1. submit-report takes 100 reports with every field the schema (infra/schemas/report.schema.json) allows at its
   longest: the account at 10,000 characters, the offender's description at 2,000, ten names, phones, emails and
   handles, five vehicles, the reporter's and the workplace's fields. The first, its heaviest request, has its free
   text in four-byte characters: 64,255 bytes, as near the 64 KiB body limit as the schema's character limits go. The
   other 99 are English prose (about 20 KB each) naming a man, his phone, email, street and car: the sanitiser's work.
2. The reports table's stream is read from moto (DescribeStream, GetShardIterator, GetRecords) and its 100 report
   INSERT records are handed to sanitise-report and to staff-notices as one batch, in the DynamoDB event's shape.
3. admin-api lists the review queue (its first page: DynamoDB stops a page at 1 MB, 49 of these drafts), reads one
   draft, and publishes it to London.
4. subscriptions takes 100 sign-ups (email, London); deliver-alert sends their codes from the subscribers stream (in
   batches of up to 100 records) by SES on moto; subscriptions verifies each with the code read back from moto, then
   signs the first reporter in to the follow-up 10 times (argon2id checks the passphrase) and shows the alert's page.
5. deliver-alert is handed the alerts stream in batches of up to 100 records: the published alert (its fan-out to the
   100 members), then the 100 delivery records it wrote, as one batch, each sent by SES on moto.
6. sms-replies is given a STOP from a number with no text alerts (a GenerateMac and a lookup).

Prints per function: RSS after init, after the first light event, after its batch (MiB), and the batch's wall time and
CPU time (user and system, from /proc/<pid>/stat). NUM_BENCH_DEBUG=1 prints each step as it goes.
Called by scripts/bench-memory, which builds the binaries and starts moto.
"""

import argparse
import base64
import collections
import datetime
import json
import os
import re
import sys
import time
import urllib.request

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cold_start import Instance, first_event, http_event, lambda_env, set_up_moto, staff_claims  # noqa: E402

MEMBERS = 100
REPORTS = 100

PROSE = (
    "I met him through the website after he texted from 07700 900{n:03d} and called himself Dave Hollis. He came to the "
    "flat on Ashgrove Road in Hackney about nine in the evening, paid half and then refused the rest. When I asked he "
    "pushed me against the wall, took my phone and the cash from the drawer, and said he knew where I lived. He wrote "
    "from dave.h{n}@example.com the next day with threats. He drives a silver Ford Focus, registration AB12 CDE. "
)


def fill(text, length):
    return (text * (length // len(text) + 1))[:length]


def largest_report(n):
    """A report with every field at the longest the schema allows."""
    return {
        "incident": {
            "date": (datetime.date.today() - datetime.timedelta(days=2)).isoformat(),
            "time_of_day": "evening",
            "town": "London",
            "location_detail": fill(f"Flat {n}, 14 Ashgrove Road, Hackney, London E8 1AB, second floor at the back. ", 500),
            "categories": ["physical_assault", "robbery", "threats", "non_payment", "harassment", "stalking"],
            "first_contact": "website",
        },
        "offender": {
            "names_used": [fill(f"Dave Hollis the {i}th also known as David Hollister ", 80) for i in range(10)],
            "phones": [f"+44 7700 900{(n * 10 + i) % 1000:03d}" for i in range(10)],
            "emails": [fill(f"dave.hollis.{n}.{i}.", 240) + "@example.com" for i in range(10)],
            "online_handles": [fill(f"@davehollis{n}_{i}_", 80) for i in range(10)],
            "vehicles": [{"make": fill("Ford Motor Company ", 40), "model": fill("Focus Estate ", 40), "colour": fill("silver grey ", 40), "registration": f"AB{i}2 CDE"} for i in range(5)],
            "description": fill("White man in his forties, about six foot, shaved head, tattoo of a swallow on his left hand, London accent. ", 2000),
        },
        "account": fill(PROSE.format(n=n), 10000),
        "reporter": {
            "name": fill("Jasmine Example-Reporter ", 80),
            "working_name": fill("Jaz ", 80),
            "email": fill(f"jaz.{n}.", 240) + "@example.org",
            "phone": "+44 7700 900123",
            "online_handles": [fill(f"@jaz{n}_{i}_", 80) for i in range(10)],
            "preferred_contact": "email",
            "contact_notes": fill("Weekday mornings only, text first and do not leave voicemail. ", 500),
        },
        "workplace": {"setting": "independent", "venue_name": fill("The flat ", 120), "venue_address": fill("14 Ashgrove Road, Hackney, London E8 1AB. ", 300)},
        "consent": {"publish_alert": True, "share_with_police": True, "caseworker_contact": True},
    }


WIDE = "\U0001F6A8" * 7 + " "  # words of seven four-byte characters: 29 bytes in 8 characters
MAX_BODY = 64 * 1024  # shared/src/http/mod.rs


def widest_report():
    """The largest report in bytes: every free-text field at its longest in characters (the schema counts
    characters), in characters of four bytes, the account then cut until the body fits the 64 KiB limit."""
    r = largest_report(0)
    r["offender"]["description"] = fill(WIDE, 2000)
    r["offender"]["names_used"] = [fill(WIDE, 80) for _ in range(10)]
    r["offender"]["online_handles"] = [fill(WIDE, 80) for _ in range(10)]
    for v in r["offender"]["vehicles"]:
        v.update(make=fill(WIDE, 40), model=fill(WIDE, 40), colour=fill(WIDE, 40))
    r["incident"]["location_detail"] = fill(WIDE, 500)
    r["reporter"].update(name=fill(WIDE, 80), working_name=fill(WIDE, 80), contact_notes=fill(WIDE, 500))
    r["reporter"]["online_handles"] = [fill(WIDE, 80) for _ in range(10)]
    r["workplace"].update(venue_name=fill(WIDE, 120), venue_address=fill(WIDE, 300))
    length = 10000
    while True:
        r["account"] = fill(WIDE, length)
        if len(json.dumps(r, ensure_ascii=False).encode()) <= MAX_BODY:
            return r
        length -= 10


def from_ip(event, n):
    """Each request from its own address, as many members' would be (the functions limit requests per address)."""
    event["requestContext"]["http"]["sourceIp"] = f"198.51.{n // 250}.{n % 250 + 1}"
    return event


def wire(value):
    """boto3's parsed stream record back to the JSON Lambda hands a function (binary as base64, times as epoch seconds)."""
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


class Stream:
    """A table's stream on moto, read from the start; `new()` gives the records not given before."""

    def __init__(self, endpoint, table):
        common = dict(endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client = boto3.client("dynamodbstreams", **common)
        self.arn = boto3.client("dynamodb", **common).describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.seen = set()

    def new(self):
        out = []
        for shard in self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            it = self.client.get_shard_iterator(StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = self.client.get_records(ShardIterator=it, Limit=1000)
                for r in page["Records"]:
                    if r["eventID"] not in self.seen:
                        self.seen.add(r["eventID"])
                        out.append(dict(wire(r), eventSourceARN=self.arn))
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
        return out


def kind(record):
    return record["dynamodb"].get("NewImage", {}).get("kind", {}).get("S")


def moto_sent_emails(endpoint):
    for _ in range(10):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as r:
                data = json.load(r)
            return data.get("ses", {}).get("Message", [])
        except urllib.error.HTTPError:
            time.sleep(0.2)  # moto's dump races its own stream writes now and then (see tests/src/aws.rs)
    raise SystemExit("moto's data.json kept failing")


def expect_ok(name, answer, what):
    """An HTTP answer below 400, or a stream batch with no failed record."""
    if isinstance(answer, dict) and "statusCode" in answer and answer["statusCode"] >= 400:
        raise SystemExit(f"{name}: {what} was answered {answer['statusCode']}: {answer.get('body', '')[:500]}")
    if isinstance(answer, dict) and answer.get("batchItemFailures"):
        raise SystemExit(f"{name}: {what}: {len(answer['batchItemFailures'])} records failed")
    return answer


def body_of(answer):
    return json.loads(answer.get("body") or "null")


class Figures:
    def __init__(self):
        self.rows = {}

    def start(self, name, path, env):
        inst = Instance(name, path, env)
        row = {"init": inst.peak_rss_mib()}
        inst.invoke(first_event(name))
        row["light"] = inst.peak_rss_mib()
        row["batch_ms"] = 0.0
        self.rows[name] = row
        return inst

    def batch(self, inst, what, event):
        """One heavy invocation: its time counts to the function's batch time, its RSS is read after."""
        cpu = inst.cpu_ms()
        answer, ms = inst.invoke(event)
        expect_ok(inst.name, answer, what)
        row = self.rows[inst.name]
        row["batch_ms"] += ms
        row["batch_cpu_ms"] = row.get("batch_cpu_ms", 0.0) + inst.cpu_ms() - cpu
        row["batch"] = inst.peak_rss_mib()
        row.setdefault("what", what)
        if os.environ.get("NUM_BENCH_DEBUG"):
            print(f"    {inst.name}: {ms:.0f} ms ({inst.cpu_ms() - cpu:.0f} ms CPU), {row['batch']:.1f} MiB after ({what[:60]})", file=sys.stderr)
        return answer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moto", required=True, help="moto's URL, http://127.0.0.1:PORT")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("binaries", nargs="+", help="name=path, one for each function")
    args = ap.parse_args()
    paths = dict(spec.split("=", 1) for spec in args.binaries)
    needed = {"submit-report", "sanitise-report", "staff-notices", "admin-api", "subscriptions", "deliver-alert", "sms-replies"}
    if set(paths) != needed:
        raise SystemExit(f"the memory bench needs every function, {sorted(needed)}; given {sorted(paths)}")

    env = lambda_env(args.moto)
    env.update(set_up_moto(args.moto))
    # Members join without a reviewer's approval here (the template's default has it), and codes are not rationed.
    env.update({"VETTING": "off", "CODE_BUDGET_PER_DAY": "100000"})
    common = dict(endpoint_url=args.moto, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
    ses = boto3.client("sesv2", **common)
    ses.create_email_identity(EmailIdentity=env["SES_FROM_ADDRESS"])
    ses.create_configuration_set(ConfigurationSetName=env["SES_CONFIGURATION_SET"])

    fig = Figures()
    # Every instance started and given its light event before any data exists, as the cold-start bench gives it.
    inst = {name: fig.start(name, paths[name], env) for name in sorted(needed)}
    reports_stream = Stream(args.moto, env["REPORTS_TABLE"])
    alerts_stream = Stream(args.moto, env["ALERTS_TABLE"])
    subscribers_stream = Stream(args.moto, env["SUBSCRIBERS_TABLE"])

    # 1. The largest reports: the widest in bytes first (the heaviest request), then the rest in English prose.
    wide = json.dumps(widest_report(), ensure_ascii=False)
    body = json.dumps(largest_report(1))
    print(f"  submit-report: 1 report of {len(wide.encode())} bytes, {REPORTS - 1} of {len(body.encode())}", file=sys.stderr)
    receipt = fig.batch(inst["submit-report"], f"one report of {len(wide.encode()) / 1024:.1f} KiB, every field at its longest", from_ip(http_event("POST", "/reports", body=wide), 0))
    for n in range(1, REPORTS):
        answer, _ = inst["submit-report"].invoke(from_ip(http_event("POST", "/reports", body=json.dumps(largest_report(n))), n))
        expect_ok("submit-report", answer, f"report {n}")
    fig.rows["submit-report"]["after_all"] = inst["submit-report"].peak_rss_mib()

    # 2. The reports stream, 100 report records in one batch.
    records = reports_stream.new()
    reports = [r for r in records if r["eventName"] == "INSERT" and kind(r) == "report"]
    kinds = sorted({str(kind(r)) for r in records})
    print(f"  reports stream: {len(records)} records ({', '.join(kinds)}), {len(reports)} report INSERTs", file=sys.stderr)
    if len(reports) < REPORTS:
        raise SystemExit(f"the reports stream holds {len(reports)} report INSERTs, not {REPORTS}: see the kinds above")
    batch = {"Records": reports[:REPORTS]}
    size = len(json.dumps(batch).encode())
    for name in ("sanitise-report", "staff-notices"):
        fig.batch(inst[name], f"{REPORTS} report INSERT records ({size / 1024:.0f} KiB of event)", batch)

    # 3. The review queue, a draft, and its publication.
    admin = inst["admin-api"]
    queue_answer = fig.batch(admin, "the review queue's first page of the largest drafts, a draft read, its publication", http_event("GET", "/admin/alerts", claims=staff_claims(), query={"limit": "200"}))
    drafts = body_of(queue_answer)
    items = drafts.get("alerts", drafts) if isinstance(drafts, dict) else drafts
    print(f"  admin-api: the queue lists {len(items)} drafts (DynamoDB's 1 MB page; more after it: {bool(isinstance(drafts, dict) and drafts.get('next'))})", file=sys.stderr)
    if os.environ.get("NUM_BENCH_DEBUG"):
        ddb = boto3.client("dynamodb", **common)
        scan = ddb.scan(TableName=env["ALERTS_TABLE"], FilterExpression="#k = :a", ExpressionAttributeNames={"#k": "kind"}, ExpressionAttributeValues={":a": {"S": "alert"}})
        print("    alerts:", collections.Counter((i.get("status", {}).get("S"), i.get("gsi1pk", {}).get("S")) for i in scan["Items"]), file=sys.stderr)
    alert_id = items[0]["alert_id"] if "alert_id" in items[0] else items[0]["id"]
    fig.batch(admin, "read", http_event("GET", f"/admin/alerts/{alert_id}", claims=staff_claims()))

    # 4. 100 members, their codes sent by deliver-alert and given back.
    subs = inst["subscriptions"]
    ids = {}
    for n in range(MEMBERS):
        email = f"member{n:03d}@example.org"
        answer = fig.batch(subs, f"{MEMBERS} sign-ups and verifications, 10 reporter follow-ups (argon2id), the alert's page", from_ip(http_event("POST", "/subscriptions", body=json.dumps({"email": email, "regions": ["london"], "channels": ["email"]})), n))
        ids[email] = body_of(answer)["subscription_id"]
    deliver = inst["deliver-alert"]
    sub_records = subscribers_stream.new()
    for i in range(0, len(sub_records), 100):
        fig.batch(deliver, "codes", {"Records": sub_records[i : i + 100]})
    codes = {}
    for m in moto_sent_emails(args.moto):
        code = next((w for w in re.split(r"\D+", m.get("body", "")) if len(w) == 6), None)
        for to in m.get("destinations", {}).get("ToAddresses", []):
            if code and to.lower() in ids:
                codes[to.lower()] = code
    if len(codes) < MEMBERS:
        raise SystemExit(f"moto holds codes for {len(codes)} of the {MEMBERS} members")
    for n, (email, sid) in enumerate(ids.items()):
        fig.batch(subs, "verify", from_ip(http_event("POST", "/subscriptions/verify", body=json.dumps({"subscription_id": sid, "code": codes[email]})), n))
    # The codes were a batch of deliver-alert's too, but the one measured is the alert's: start its figures there.
    code_peak = deliver.peak_rss_mib()
    fig.rows["deliver-alert"].pop("what")
    fig.rows["deliver-alert"]["batch_ms"] = fig.rows["deliver-alert"]["batch_cpu_ms"] = 0.0
    subscribers_stream.new()  # the verified members' updates: nothing for the deliverer to send

    # The reporter's follow-up: the passphrase checked with argon2id, as submit-report hashed it.
    pair = body_of(receipt)
    for n in range(10):
        follow_up = {"reference": pair["reference"], "passphrase": pair["passphrase"]}
        fig.batch(subs, "follow-up", from_ip(http_event("POST", "/follow-up", body=json.dumps(follow_up)), 200 + n))

    # 5. Publication, fan-out, and 100 deliveries.
    fig.batch(admin, "publish", http_event("POST", f"/admin/alerts/{alert_id}/publish", body=json.dumps({"regions": ["london"]}), claims=staff_claims()))
    fig.batch(subs, "the alert's page", from_ip(http_event("GET", f"/alerts/{alert_id}"), 0))
    emails_before = len(moto_sent_emails(args.moto))
    timed = []
    while True:
        new = alerts_stream.new()
        if not new:
            break
        for i in range(0, len(new), 100):
            part = new[i : i + 100]
            if os.environ.get("NUM_BENCH_DEBUG"):
                print("   ", collections.Counter((r["eventName"], kind(r)) for r in part), file=sys.stderr)
            # What the deliverer acts on is timed: the published alert (its fan-out) and the new deliveries. The
            # drafts' records before them and the deliveries' own updates after are passed on as the stream would,
            # and ignored by the deliverer.
            if any((r["eventName"], kind(r)) in (("MODIFY", "alert"), ("INSERT", "delivery")) for r in part):
                timed.append(len(part))
                fig.batch(deliver, f"the published alert (fan-out to {MEMBERS}), then its {MEMBERS} delivery records in one batch", {"Records": part})
            else:
                expect_ok("deliver-alert", deliver.invoke({"Records": part})[0], "records it ignores")
    sent = len(moto_sent_emails(args.moto)) - emails_before
    print(f"  deliver-alert: timed batches of {timed} records; {sent} alert emails sent on moto", file=sys.stderr)
    if sent < MEMBERS:
        raise SystemExit(f"deliver-alert sent {sent} alert emails, not {MEMBERS}")
    fig.rows["deliver-alert"]["codes"] = code_peak

    # 6. A STOP.
    stop = {"Records": [{"Sns": {"Message": json.dumps({"originationNumber": "+447700900999", "messageBody": "STOP"})}}]}
    fig.batch(inst["sms-replies"], "a STOP from a number without text alerts", stop)

    for i in inst.values():
        i.stop()

    print()
    print("peak resident memory (VmHWM, MiB) of one warm instance of each function")
    print()
    print("| function | after init | after the first light event | after its batch | batch wall time (CPU time) | the batch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in sorted(fig.rows):
        r = fig.rows[name]
        print(f"| {name} | {r['init']:.1f} | {r['light']:.1f} | {r['batch']:.1f} | {r['batch_ms']:.0f} ms ({r['batch_cpu_ms']:.0f} ms) | {r.get('what', '')} |")
    print()
    print(f"submit-report after all {REPORTS} reports: {fig.rows['submit-report']['after_all']:.1f} MiB; "
          f"deliver-alert after the {MEMBERS} codes: {code_peak:.1f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(fig.rows, f, indent=1)


if __name__ == "__main__":
    main()
