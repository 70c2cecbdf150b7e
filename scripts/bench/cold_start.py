"""Cold start of each Lambda binary, measured from outside as Lambda would see it.

For each binary, N times: start it with a fake Lambda Runtime API on loopback (this file) and the AWS endpoint pointed
at a moto server through a small TCP relay (also here) that times every AWS round trip. Then:

- init: from starting the process to its first `GET /runtime/invocation/next` (what Lambda bills as the init phase);
- warm-up: the part of init spent waiting on AWS calls (the relay's busy time before that first request), so that
  "init less warm-up" is the time the binary itself takes;
- first invocation: from handing over the first event to the `POST .../response` (or `.../error`);
- peak RSS: VmHWM of the process after the first invocation.

Printed as a table with medians, maxima and the ratio of medians to the floor (the hello-world echo), and the stripped
size of each binary. Called by scripts/bench-cold-start, which builds the binaries and starts moto; see there.
The memory bench (scripts/bench/memory.py) uses the same environment, moto set-up and events, with `Instance`, a
binary kept running across events.
"""

import argparse
import json
import os
import queue
import select
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

NS = 1_000_000  # nanoseconds in a millisecond

# --- the events each function is given first: the lightest real request of each kind --------------------------------


def http_event(method, path, body=None, claims=None, query=None):
    ctx = {
        "accountId": "123456789012",
        "apiId": "bench",
        "domainName": "api.example.org",
        "domainPrefix": "api",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "bench"},
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": "30/Nov/2026:03:00:00 +0000",
        "timeEpoch": int(time.time() * 1000),
    }
    if claims is not None:
        ctx["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.org"},
        "requestContext": ctx,
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    if query:
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
        event["queryStringParameters"] = dict(query)
    return event


STAFF_ISSUER = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_bench"
STAFF_AUDIENCE = "bench-client"


def staff_claims(groups="[reviewer]"):
    """What API Gateway's JWT authorizer hands on for a signed-in member of staff."""
    return {
        "iss": STAFF_ISSUER,
        "aud": STAFF_AUDIENCE,
        "exp": str(int(time.time()) + 3600),
        "cognito:groups": groups,
        "cognito:username": "bench",
    }


def first_event(name):
    if name == "submit-report":
        # A report that breaks a schema rule: parsed and refused, nothing stored (a valid one spends ~50 ms in argon2id
        # on purpose, which is not start-up).
        return http_event("POST", "/reports", body=json.dumps({"incident": {}}))
    if name == "subscriptions":
        # The members' page for an alert that does not exist: one GetItem, then 404.
        return http_event("GET", "/alerts/A-BENCHBENCHBENCH")
    if name == "admin-api":
        # The review queue: one Query on the alerts table.
        return http_event("GET", "/admin/alerts", claims=staff_claims())
    if name == "sms-replies":
        return {"Records": []}
    if name in ("sanitise-report", "deliver-alert", "staff-notices"):
        return {"Records": []}
    return {"hello": "world"}


# --- moto: the tables and keys every function's start-up reaches -------------------------------------------------------


def set_up_moto(endpoint):
    common = dict(endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
    ddb = boto3.client("dynamodb", **common)
    kms = boto3.client("kms", **common)
    env = {}
    for table in ("reports", "alerts", "subscribers", "audit"):
        name = f"bench-{table}-{uuid.uuid4().hex[:8]}"
        ddb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        env[f"{table.upper()}_TABLE"] = name
    env["DATA_KEY_ID"] = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    env["MAC_KEY_ID"] = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    env["AUDIT_KEY_ID"] = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    return env


def lambda_env(aws_endpoint):
    """The environment Lambda and the template give every function, with AWS reached at `aws_endpoint`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "eu-west-2",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "SES_FROM_ADDRESS": "alerts@example.org",
        "SES_CONFIGURATION_SET": "num-alerts",
        "SMS_SENDER_ID": "NUMAlerts",
        "SES_MAX_SEND_RATE": "14",
        "SMS_MAX_SEND_RATE": "5",
        "SITE_URL": "https://num.example.org/",
        "STAFF_ISSUER": STAFF_ISSUER,
        "STAFF_AUDIENCE": STAFF_AUDIENCE,
        # As deployed with a custom domain: admin-api builds its Cognito client at start-up.
        "STAFF_LOGIN_URL": "https://num-staff.auth.eu-west-2.amazoncognito.com",
        "DRAFT_REMINDER_MINUTES": "30",
        "NUM_LOG": "warn",
    }


# What infra/template.yaml sets on some functions beyond that: glibc's malloc with a fixed mmap threshold (128 KiB)
# where argon2id runs, so each hash's 19 MiB block is unmapped when it is freed (docs/performance.md, "Memory").
# NUM_BENCH_GLIBC_DEFAULT=1 leaves it out, to see the difference.
TEMPLATE_ENV = {
    "submit-report": {"MALLOC_MMAP_THRESHOLD_": "131072"},
    "subscriptions": {"MALLOC_MMAP_THRESHOLD_": "131072"},
}


def function_env(env, name):
    """`env` with what the template adds for function `name` (a crate name, or one with " (baseline)" after it)."""
    if os.environ.get("NUM_BENCH_GLIBC_DEFAULT"):
        return env
    return dict(env, **TEMPLATE_ENV.get(name.split(" ")[0], {}))


# --- a TCP relay in front of moto that records when it is busy -----------------------------------------------------------


class Relay:
    """Forwards loopback connections to moto. A round trip runs from the first byte of a request to the last byte of
    its answer (the next request byte on that connection closes it); `busy_ns(a, b)` is the union of the round trips
    that started in [a, b], on any connection."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.lock = threading.Lock()
        self.trips = []  # [start, end] pairs, end updated as the answer streams back
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        trip = None
        answering = False
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [])
                for s in readable:
                    data = s.recv(65536)
                    now = time.perf_counter_ns()
                    if not data:
                        return
                    if s is client:
                        if trip is None or answering:
                            trip = [now, now]
                            answering = False
                            with self.lock:
                                self.trips.append(trip)
                        upstream.sendall(data)
                    else:
                        client.sendall(data)
                        answering = True
                        trip[1] = time.perf_counter_ns()
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def busy_ns(self, start, end):
        with self.lock:
            spans = sorted((a, b) for a, b in self.trips if start <= a <= end)
        total, cur_a, cur_b = 0, None, None
        for a, b in spans:
            if cur_b is None or a > cur_b:
                if cur_b is not None:
                    total += cur_b - cur_a
                cur_a, cur_b = a, b
            else:
                cur_b = max(cur_b, b)
        if cur_b is not None:
            total += cur_b - cur_a
        return total


# --- the fake Lambda Runtime API ------------------------------------------------------------------------------------------


class Run:
    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.request_id = str(uuid.uuid4())
        self.t_next = None
        self.t_sent = None
        self.t_done = None
        self.outcome = None
        self.body = b""
        self.served = False
        self.got_next = threading.Event()
        self.done = threading.Event()
        self.stop = threading.Event()


class RuntimeApi(BaseHTTPRequestHandler):
    """One server per run (`self.server.run`): a request a stopped binary had already sent can never be taken for the
    next binary's."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        now = time.perf_counter_ns()
        run = self.server.run
        if not self.path.endswith("/runtime/invocation/next"):
            self.send_error(404)
            return
        if run.served:
            # The binary asks for a second event: hold it until the bench stops the process.
            run.stop.wait(60)
            self.close_connection = True
            return
        run.served = True
        run.t_next = now
        run.got_next.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(run.event)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", run.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-2:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        self.end_headers()
        self.wfile.write(run.event)
        self.wfile.flush()
        run.t_sent = time.perf_counter_ns()

    def do_POST(self):
        now = time.perf_counter_ns()
        run = self.server.run
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if "/runtime/init/error" in self.path:
            run.outcome, run.body = "init error", body
            run.got_next.set()
        elif self.path.endswith("/response"):
            run.outcome, run.body, run.t_done = "response", body, now
        elif self.path.endswith("/error"):
            run.outcome, run.body, run.t_done = "error", body, now
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        run.done.set()


def peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Instance:
    """One binary kept running, as a warm Lambda instance is, behind its own fake Runtime API: `invoke` hands it an
    event and waits for the answer; `peak_rss_mib` reads its high-water mark in between. Used by the memory bench
    (scripts/bench/memory.py); the cold-start runs above start a process per event instead."""

    def __init__(self, name, path, env, timeout=30):
        self.name = name
        self.events = queue.Queue()
        self.answers = queue.Queue()
        instance = self

        class Api(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    self.send_error(404)
                    return
                instance.answers.put(("ready", None))
                event = instance.events.get()
                if event is None:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(event)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-2:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
                self.end_headers()
                self.wfile.write(event)
                self.wfile.flush()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if "/runtime/init/error" in self.path:
                    instance.answers.put(("init error", body))
                elif self.path.endswith("/response"):
                    instance.answers.put(("response", body))
                elif self.path.endswith("/error"):
                    instance.answers.put(("error", body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        env = dict(function_env(env, name), AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{self.server.server_address[1]}")
        self.proc = subprocess.Popen([path], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._expect("ready", timeout)

    def _expect(self, what, timeout):
        try:
            outcome, body = self.answers.get(timeout=timeout)
        except queue.Empty:
            self.fail(f"no {what} within {timeout} s")
        if outcome != what:
            self.fail(f"{outcome} where {what} was expected: {(body or b'')[:500]!r}")
        return body

    def fail(self, why):
        self.proc.kill()
        _, err = self.proc.communicate()
        print(err.decode(errors="replace")[-3000:], file=sys.stderr)
        raise SystemExit(f"{self.name}: {why}")

    def invoke(self, event, timeout=600):
        """Hands over one event; returns the function's answer (parsed) and the milliseconds it took."""
        t0 = time.perf_counter_ns()
        self.events.put(json.dumps(event).encode())
        body = self._expect("response", timeout)
        ms = (time.perf_counter_ns() - t0) / NS
        self._expect("ready", timeout)  # its next request for an event: the answer is complete
        return json.loads(body or b"null"), ms

    def peak_rss_mib(self):
        kb = peak_rss_kb(self.proc.pid)
        return kb / 1024 if kb else float("nan")

    def cpu_ms(self):
        """CPU time the process has used so far (user and system, all its threads)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.kill()
        self.events.put(None)
        self.proc.communicate()
        self.server.shutdown()
        self.server.server_close()


def one_run(name, path, env, relay):
    run = Run(first_event(name.split(" ")[0]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    server.run = run
    # A binary stopped while it waits for its next event breaks that connection: expected, not worth a trace.
    server.handle_error = lambda request, address: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(function_env(env, name), AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    # NUM_BENCH_WRAP: a command to run each binary under, to see where init goes; the run ends with SIGTERM, so the
    # tool must write what it measured on that signal. The times printed are then the wrapper's, not the binary's.
    wrap = shlex.split(os.environ.get("NUM_BENCH_WRAP", ""))
    t0 = time.perf_counter_ns()
    proc = subprocess.Popen(wrap + [path], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    failure = None
    rss = None
    if not run.got_next.wait(30) or run.t_next is None:
        failure = f"no request for an event within 30 s ({run.outcome or 'no answer'}): {run.body[:500]!r}"
    elif not run.done.wait(30):
        failure = "no answer to the first event within 30 s"
    else:
        rss = peak_rss_kb(proc.pid)
    # A wrapper writes its figures when the process ends on a signal it can catch.
    proc.terminate() if wrap else proc.kill()
    run.stop.set()
    _, err = proc.communicate()
    server.shutdown()
    server.server_close()
    if failure:
        print(err.decode(errors="replace")[-3000:], file=sys.stderr)
        raise SystemExit(f"{name}: {failure} (exit {proc.returncode})")
    if run.outcome != "response":
        print(f"{name}: the first event was answered with {run.outcome}: {run.body[:300]!r}", file=sys.stderr)
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(1)
    warm = relay.busy_ns(t0, run.t_next)
    return {
        "init": (run.t_next - t0) / NS,
        "warm": warm / NS,
        "bare": (run.t_next - t0 - warm) / NS,
        "first": (run.t_done - run.t_sent) / NS,
        "rss": rss / 1024 if rss else float("nan"),
        "answer": run.body[:200],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moto", required=True, help="moto's URL, http://127.0.0.1:PORT")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("binaries", nargs="+", help="name=path; the one named hello-lambda is the floor")
    args = ap.parse_args()

    moto_port = int(args.moto.rsplit(":", 1)[1].strip("/"))
    relay = Relay(moto_port)

    env = lambda_env(f"http://127.0.0.1:{relay.port}")
    env.update(set_up_moto(args.moto))

    binaries = [spec.split("=", 1) for spec in args.binaries]
    figures = {name: {"runs": [], "size": os.path.getsize(path)} for name, path in binaries}
    # One untimed run of each first, so every binary starts with its file in the page cache; then round after round,
    # each binary once a round, so a busy moment of the machine falls on all of them alike.
    for name, path in binaries:
        one_run(name, path, env, relay)
    for i in range(args.runs):
        for name, path in binaries:
            figures[name]["runs"].append(one_run(name, path, env, relay))
        print(f"  round {i + 1} of {args.runs}", file=sys.stderr)

    floor = figures.get("hello-lambda")

    def med(name, key):
        return statistics.median(r[key] for r in figures[name]["runs"])

    def mx(name, key):
        return max(r[key] for r in figures[name]["runs"])

    def ratio(name, key):
        if not floor:
            return ""
        return f"{med(name, key) / med('hello-lambda', key):.1f}x"

    print()
    print(f"cold start, {args.runs} runs each (ms; ratio = median / hello-lambda's median)")
    print()
    print("| binary | init median (max) | init less AWS warm-up, median (max) | ratio | first invocation median (max) | ratio | peak RSS | stripped size |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in figures:
        print(
            f"| {name} | {med(name, 'init'):.1f} ({mx(name, 'init'):.1f}) | {med(name, 'bare'):.1f} ({mx(name, 'bare'):.1f}) | "
            f"{ratio(name, 'bare')} | {med(name, 'first'):.2f} ({mx(name, 'first'):.2f}) | {ratio(name, 'first')} | "
            f"{med(name, 'rss'):.1f} MiB | {figures[name]['size'] / 1e6:.1f} MB |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: {"size": v["size"], "runs": [{kk: vv for kk, vv in r.items() if kk != "answer"} for r in v["runs"]]} for k, v in figures.items()}, f, indent=1)


if __name__ == "__main__":
    main()
