"""Rules the SAM template must keep, as functions from a parsed template to a list of violations (empty: the rule
holds). The template is read with cfn-lint's own decoder, so !Ref, !GetAtt, !Sub and YAML anchors parse as they do for
CloudFormation. Each rule is tested twice: on infra/template.yaml (no violation) and on a copy broken on purpose (the
violation is found), so a rule that cannot fail is itself a failure.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"

FUNCTION = "AWS::Serverless::Function"
ROLE = "AWS::IAM::Role"

# What each function may do, from the design (issue 6). Keys are the crate (and binary) names.
FUNCTIONS = ["submit-report", "subscriptions", "sanitise-report", "admin-api", "deliver-alert", "sms-replies", "staff-notices"]

# The environment each function gets: exactly these names (the functions check them at start-up).
EXPECTED_ENV = {
    "submit-report": {"REPORTS_TABLE", "DATA_KEY_ID", "NUM_LOG", "ORIGIN_VERIFY_SECRET", "MALLOC_MMAP_THRESHOLD_"},
    "subscriptions": {
        "SUBSCRIBERS_TABLE", "ALERTS_TABLE", "DATA_KEY_ID", "MAC_KEY_ID", "CODE_BUDGET_PER_DAY", "VETTING", "NUM_LOG",
        "ORIGIN_VERIFY_SECRET", "MALLOC_MMAP_THRESHOLD_",
        # The reporter's follow-up (issue 14).
        "REPORTS_TABLE",
    },
    "sanitise-report": {"REPORTS_TABLE", "ALERTS_TABLE", "DATA_KEY_ID", "MAC_KEY_ID", "NUM_LOG"},
    "admin-api": {
        "REPORTS_TABLE", "ALERTS_TABLE", "SUBSCRIBERS_TABLE", "AUDIT_TABLE", "DATA_KEY_ID", "MAC_KEY_ID", "AUDIT_KEY_ID",
        "STAFF_ISSUER", "STAFF_AUDIENCE", "CODE_BUDGET_PER_DAY", "NUM_LOG", "ORIGIN_VERIFY_SECRET",
        # The staff console's managed login and the site it returns to.
        "STAFF_LOGIN_URL", "SITE_URL",
    },
    "deliver-alert": {
        "ALERTS_TABLE", "SUBSCRIBERS_TABLE", "DATA_KEY_ID", "SES_FROM_ADDRESS", "SES_CONFIGURATION_SET",
        "SMS_SENDER_ID", "SMS_ORIGINATION_NUMBER", "SITE_URL", "NUM_LOG",
        # Sends paced to the account's rates (docs/performance.md, "Fan-out").
        "SES_MAX_SEND_RATE", "SMS_MAX_SEND_RATE",
    },
    "sms-replies": {"SUBSCRIBERS_TABLE", "DATA_KEY_ID", "MAC_KEY_ID", "NUM_LOG"},
    "staff-notices": {
        "REPORTS_TABLE", "ALERTS_TABLE", "DATA_KEY_ID", "SES_FROM_ADDRESS", "SES_CONFIGURATION_SET", "SMS_SENDER_ID",
        "SMS_ORIGINATION_NUMBER", "SITE_URL", "DRAFT_REMINDER_MINUTES", "NUM_LOG",
        # The retention run's audit entries.
        "AUDIT_TABLE", "AUDIT_KEY_ID",
    },
}

# The functions that run argon2id (a 19 MiB block per hash) and the glibc malloc setting they need: with glibc's
# default, the mmap threshold rises to the block's size after the first hash, later blocks come from the heap and are
# kept, and a warm instance's RSS climbs by 19 MiB a hash to about 230 MiB (scripts/bench-memory; docs/performance.md).
ARGON2_MALLOC = {"submit-report": "131072", "subscriptions": "131072"}

# Envelope-encryption grants: (action, table, kind) exactly as the code asks KMS for them.
EXPECTED_KMS = {
    "submit-report": {("kms:GenerateDataKey", "reports", "report")},
    "subscriptions": {
        ("kms:GenerateDataKey", "subscribers", "contact_key"),
        ("kms:Decrypt", "subscribers", "contact_key"),
        # The members' page opens a published alert, and never a draft.
        ("kms:Decrypt", "alerts", "published_alert"),
        # The reporter's follow-up seals and opens thread messages, and never a report.
        ("kms:GenerateDataKey", "reports", "message"),
        ("kms:Decrypt", "reports", "message"),
    },
    "sanitise-report": {("kms:Decrypt", "reports", "report"), ("kms:GenerateDataKey", "alerts", "alert")},
    "admin-api": {
        ("kms:Decrypt", "reports", "report"),
        ("kms:Decrypt", "alerts", "alert"),
        ("kms:GenerateDataKey", "alerts", "alert"),
        ("kms:Decrypt", "alerts", "published_alert"),
        ("kms:GenerateDataKey", "alerts", "published_alert"),
        ("kms:Decrypt", "alerts", "alert_rejection"),
        ("kms:GenerateDataKey", "alerts", "alert_rejection"),
        # A withdrawal's reason and, at a correction, the version it replaces: each sealed on its own.
        ("kms:Decrypt", "alerts", "alert_withdrawal"),
        ("kms:GenerateDataKey", "alerts", "alert_withdrawal"),
        ("kms:Decrypt", "alerts", "alert_version"),
        ("kms:GenerateDataKey", "alerts", "alert_version"),
        # Help desk resend-code re-seals a member's contacts under their existing contact key.
        ("kms:Decrypt", "subscribers", "contact_key"),
        # Reasons staff give are sealed in the audit log.
        ("kms:GenerateDataKey", "audit", "audit_reason"),
        ("kms:Decrypt", "audit", "audit_reason"),
        # The console's sessions keep Cognito's refresh token sealed.
        ("kms:GenerateDataKey", "audit", "console_session"),
        ("kms:Decrypt", "audit", "console_session"),
        # Casework: what caseworkers write is sealed per entry; the duty rotas hold staff contacts.
        ("kms:GenerateDataKey", "reports", "case_note"),
        ("kms:Decrypt", "reports", "case_note"),
        ("kms:GenerateDataKey", "reports", "staff_rota"),
        ("kms:Decrypt", "reports", "staff_rota"),
        # The thread with the reporter: each message sealed on its own.
        ("kms:GenerateDataKey", "reports", "message"),
        ("kms:Decrypt", "reports", "message"),
        # Consent answers recorded by staff carry a sealed note; police packages and safeguarding overrides' reasons.
        ("kms:GenerateDataKey", "reports", "consent_note"),
        ("kms:Decrypt", "reports", "consent_note"),
        ("kms:GenerateDataKey", "reports", "police_package"),
        ("kms:Decrypt", "reports", "police_package"),
        ("kms:GenerateDataKey", "reports", "override_reason"),
        ("kms:Decrypt", "reports", "override_reason"),
        ("kms:GenerateDataKey", "reports", "link_request"),
        ("kms:Decrypt", "reports", "link_request"),
    },
    "deliver-alert": {("kms:Decrypt", "alerts", "published_alert"), ("kms:Decrypt", "subscribers", "contact_key")},
    # Ends text alerts by the number's blind index, sealing the member's contacts again without the number.
    "sms-replies": {("kms:Decrypt", "subscribers", "contact_key")},
    # Opens the rota (staff contacts), and a report only for its reporter's due notice (her contact and hours).
    "staff-notices": {("kms:Decrypt", "reports", "staff_rota"), ("kms:Decrypt", "reports", "report")},
}
MAC_USERS = {"subscriptions", "sanitise-report", "admin-api", "sms-replies"}
# Who appends to the audit log, and so makes its links (GenerateMac on the audit key, never VerifyMac).
# The admin API (staff actions) and the retention run in staff-notices (what it deleted, as kinds and counts).
AUDIT_CHAIN_APPENDERS = {"admin-api", "staff-notices"}
AUDIT_VERIFIER_ROLE = "AuditVerifierRole"

# DynamoDB data-plane actions per function and table (DescribeTable, stream reading and ListStreams are checked apart).
EXPECTED_DYNAMODB = {
    "submit-report": {"ReportsTable": {"PutItem"}},
    "subscriptions": {
        "SubscribersTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"},
        # One published alert for its page; the status index for the members' list; the offender index (OFFENDER#...)
        # for the checker.
        "AlertsTable": {"GetItem", "Query"},
        # The reporter's follow-up: the report by its reference, its thread and consent history, a message or a
        # consent entry added, the consent attributes set.
        "ReportsTable": {"GetItem", "Query", "PutItem", "UpdateItem"},
    },
    # The drafts; and a new report's own key (RKEY#... only), to open the report the stream brought.
    "sanitise-report": {"AlertsTable": {"PutItem"}, "ReportsTable": {"GetItem"}},
    "admin-api": {
        # PutItem and DeleteItem only for the offender index's references (OFFENDER#...), at publication.
        "AlertsTable": {"GetItem", "Query", "UpdateItem", "PutItem", "DeleteItem"},
        # One report by id; cases, their entries, the thread, the services list and the rotas beside the reports.
        "ReportsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"},
        "AuditTable": {"GetItem", "PutItem", "UpdateItem", "Query"},
        # PutItem only for a region list's items (REGION#...), when an office manager approves a member.
        "SubscribersTable": {"GetItem", "Query", "UpdateItem", "DeleteItem", "PutItem"},
    },
    "deliver-alert": {
        "AlertsTable": {"GetItem", "PutItem", "UpdateItem", "Query"},
        "SubscribersTable": {"GetItem", "Query", "UpdateItem"},
    },
    "sms-replies": {"SubscribersTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}},
    # Cases opened on arrival, the rota, the sent-once markers; the drafts' status index. The retention run: a report's
    # private records and keys deleted, a rejected draft deleted, the audit entries of what it deleted.
    "staff-notices": {
        "ReportsTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"},
        "AlertsTable": {"Query", "GetItem", "DeleteItem"},
        "AuditTable": {"GetItem", "PutItem", "UpdateItem"},
    },
}
EXPECTED_STREAMS = {
    "sanitise-report": {"ReportsTable"},
    "deliver-alert": {"AlertsTable", "SubscribersTable"},
    "staff-notices": {"ReportsTable"},
}
METADATA_ACTIONS = {"DescribeTable"}
STREAM_ACTIONS = {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"}

MAX_RETRY_ATTEMPTS = 10
MAX_RECORD_AGE_SECONDS = 6 * 3600


def load(path: Path = TEMPLATE) -> dict:
    template, matches = decode(str(path))
    if template is None or matches:
        raise ValueError(f"{path} does not parse: {matches}")
    return template


# ---- helpers ---------------------------------------------------------------------------------------------------


def resources(t: dict, type_: str | None = None) -> Iterator[tuple[str, dict]]:
    for name, r in (t.get("Resources") or {}).items():
        if type_ is None or r.get("Type") == type_:
            yield name, r


def as_list(v: Any) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


_SUB_VAR = re.compile(r"\$\{([A-Za-z0-9_:]+)(?:\.[A-Za-z0-9_.]+)?\}")


def refs(obj: Any) -> set[str]:
    """Every logical id (or parameter) that a value refers to through Ref, GetAtt or Sub, however deep."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                if isinstance(v, list) and v:
                    out.add(str(v[0]))
                elif isinstance(v, str):
                    out.add(v.split(".", 1)[0])
            elif k == "Fn::Sub":
                s = v[0] if isinstance(v, list) else v
                if isinstance(s, str):
                    out.update(m.group(1) for m in _SUB_VAR.finditer(s))
                if isinstance(v, list) and len(v) > 1:
                    out |= refs(v[1])
            else:
                out |= refs(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= refs(v)
    return out


def statements(doc: Any) -> list[dict]:
    if not isinstance(doc, dict):
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


def all_policy_statements(t: dict) -> Iterator[tuple[str, dict]]:
    """Every statement of every policy document anywhere in the template (roles, managed and inline policies, key,
    bucket, queue and topic policies), with where it was found."""

    def walk(obj: Any, where: str) -> Iterator[tuple[str, dict]]:
        if isinstance(obj, dict):
            if "Statement" in obj and ("Version" in obj or isinstance(obj.get("Statement"), list)):
                for i, s in enumerate(statements(obj)):
                    yield f"{where}.Statement[{i}]", s
            for k, v in obj.items():
                if k != "Statement":
                    yield from walk(v, f"{where}.{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                yield from walk(v, f"{where}[{i}]")

    for name, r in resources(t):
        yield from walk(r, name)


def functions(t: dict) -> dict[str, tuple[str, dict]]:
    """The crate name of each function (from its CodeUri) to (logical id, resource)."""
    out = {}
    for name, r in resources(t, FUNCTION):
        code = str((r.get("Properties") or {}).get("CodeUri", ""))
        out[code.rstrip("/").rsplit("/", 1)[-1]] = (name, r)
    return out


def role_of(t: dict, fn: dict) -> tuple[str | None, dict | None]:
    role = (fn.get("Properties") or {}).get("Role")
    ids = refs(role) if role is not None else set()
    for rid in ids:
        r = t["Resources"].get(rid)
        if r and r.get("Type") == ROLE:
            return rid, r
    return None, None


def role_statements(t: dict, role_id: str, role: dict) -> list[dict]:
    out = []
    for p in as_list((role.get("Properties") or {}).get("Policies")):
        out += statements(p.get("PolicyDocument"))
    for _, r in resources(t):
        if r.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            props = r.get("Properties") or {}
            attached = refs(props.get("Roles")) | refs(props.get("RoleName"))
            if role_id in attached:
                out += statements(props.get("PolicyDocument"))
    return out


def actions(s: dict) -> list[str]:
    return [str(a) for a in as_list(s.get("Action"))]


def allows(s: dict) -> bool:
    return s.get("Effect") == "Allow"


def function_statements(t: dict, crate: str) -> list[dict]:
    _, fn = functions(t)[crate]
    rid, role = role_of(t, fn)
    return role_statements(t, rid, role) if role else []


# ---- the rules -------------------------------------------------------------------------------------------------


def stream_sources(t: dict) -> list[tuple[str, dict]]:
    out = []
    for name, r in resources(t, FUNCTION):
        for ev_name, ev in ((r.get("Properties") or {}).get("Events") or {}).items():
            if ev.get("Type") in ("DynamoDB", "Kinesis"):
                out.append((f"{name}.{ev_name}", ev.get("Properties") or {}))
    for name, r in resources(t, "AWS::Lambda::EventSourceMapping"):
        props = r.get("Properties") or {}
        if "StartingPosition" in props:
            out.append((name, props))
    return out


def rule_stream_sources(t: dict) -> list[str]:
    v = []
    sources = stream_sources(t)
    if not sources:
        v.append("no stream event source found")
    alarmed = set()
    for _, a in resources(t, "AWS::CloudWatch::Alarm"):
        p = a.get("Properties") or {}
        if p.get("MetricName") == "ApproximateNumberOfMessagesVisible" and p.get("ComparisonOperator") in (
            "GreaterThanThreshold", "GreaterThanOrEqualToThreshold"
        ) and float(p.get("Threshold", 1)) <= (0 if p.get("ComparisonOperator") == "GreaterThanThreshold" else 1):
            alarmed |= refs(p.get("Dimensions"))
    for where, p in sources:
        if "ReportBatchItemFailures" not in as_list(p.get("FunctionResponseTypes")):
            v.append(f"{where}: FunctionResponseTypes lacks ReportBatchItemFailures")
        if p.get("BisectBatchOnFunctionError") is not True:
            v.append(f"{where}: BisectBatchOnFunctionError is not true")
        retries = p.get("MaximumRetryAttempts")
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRY_ATTEMPTS:
            v.append(f"{where}: MaximumRetryAttempts must be 0..{MAX_RETRY_ATTEMPTS}, is {retries!r}")
        age = p.get("MaximumRecordAgeInSeconds")
        if not isinstance(age, int) or isinstance(age, bool) or not 60 <= age <= MAX_RECORD_AGE_SECONDS:
            v.append(f"{where}: MaximumRecordAgeInSeconds must be 60..{MAX_RECORD_AGE_SECONDS}, is {age!r}")
        if p.get("StartingPosition") != "TRIM_HORIZON":
            v.append(f"{where}: StartingPosition is not TRIM_HORIZON")
        dest = ((p.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        queues = [q for q in refs(dest) if (t["Resources"].get(q) or {}).get("Type") == "AWS::SQS::Queue"]
        if not queues:
            v.append(f"{where}: no OnFailure destination that is an SQS queue of this template")
        for q in queues:
            qp = t["Resources"][q].get("Properties") or {}
            if not (qp.get("SqsManagedSseEnabled") is True or qp.get("KmsMasterKeyId")):
                v.append(f"{where}: failure queue {q} is not encrypted")
            if q not in alarmed:
                v.append(f"{where}: failure queue {q} has no alarm on ApproximateNumberOfMessagesVisible > 0")
    return v


def _wildcard(action: str) -> bool:
    a = action.lower()
    if a == "*":
        return True
    service, _, name = a.partition(":")
    return service in ("dynamodb", "kms") and ("*" in name or "?" in name)


def rule_no_wildcard_actions(t: dict) -> list[str]:
    v = []
    for where, s in all_policy_statements(t):
        for a in actions(s):
            if _wildcard(a):
                v.append(f"{where}: wildcard action {a}")
        if allows(s) and "NotAction" in s:
            v.append(f"{where}: Allow with NotAction")
        if allows(s):
            for a in actions(s):
                if a.lower().startswith(("dynamodb:", "kms:")) and "*" in as_list(s.get("Resource")) and "Principal" not in s:
                    v.append(f"{where}: {a} on Resource '*'")
    return v


def rule_functions_own_their_roles(t: dict) -> list[str]:
    """No SAM policy templates or managed policies: SAM would add AWSLambdaDynamoDBExecutionRole (stream reads on
    "*") for a DynamoDB event source. Every function names its own role, written out in the template."""
    v = []
    for name, r in resources(t, FUNCTION):
        p = r.get("Properties") or {}
        if "Policies" in p:
            v.append(f"{name}: Policies (SAM policy templates or managed policies) instead of its own role")
        rid, role = role_of(t, r)
        if role is None:
            v.append(f"{name}: Role is not a role of this template")
            continue
        rp = role.get("Properties") or {}
        if rp.get("ManagedPolicyArns"):
            v.append(f"{name}: role {rid} has managed policies")
    globals_fn = ((t.get("Globals") or {}).get("Function")) or {}
    if "Policies" in globals_fn or "Role" in globals_fn:
        v.append("Globals.Function sets Policies or Role")
    return v


def _names_table(obj: Any, table: str) -> bool:
    if table in refs(obj):
        return True
    text = str(obj)
    return table in text


def rule_deliverer_cannot_read_reports(t: dict) -> list[str]:
    v = []
    fns = functions(t)
    if "deliver-alert" not in fns:
        return ["no deliver-alert function"]
    name, fn = fns["deliver-alert"]
    p = fn.get("Properties") or {}
    if p.get("Policies") is not None and _names_table(p.get("Policies"), "ReportsTable"):
        v.append(f"{name}: a policy template names the reports table")
    rid, role = role_of(t, fn)
    for s in role_statements(t, rid, role) if role else []:
        res = s.get("Resource")
        if _names_table(res, "ReportsTable"):
            v.append(f"{name}: statement {s.get('Sid', '?')} names the reports table or its stream")
        if allows(s) and "*" in as_list(res) and any(a.lower().startswith("dynamodb:") for a in actions(s)):
            v.append(f"{name}: statement {s.get('Sid', '?')} allows DynamoDB on '*'")
    for ev_name, ev in (p.get("Events") or {}).items():
        if _names_table(ev.get("Properties"), "ReportsTable"):
            v.append(f"{name}.{ev_name}: reads the reports table's stream")
    env = ((p.get("Environment") or {}).get("Variables")) or {}
    if "REPORTS_TABLE" in env or _names_table(env, "ReportsTable"):
        v.append(f"{name}: is told the reports table's name")
    return v


def _dynamodb_grants(t: dict, crate: str) -> tuple[dict[str, set[str]], set[str], list[str]]:
    """(data-plane actions per table, tables whose stream it reads, problems) for one function's role."""
    tables = {n for n, _ in resources(t, "AWS::DynamoDB::Table")}
    data: dict[str, set[str]] = {}
    streams: set[str] = set()
    problems = []
    for s in function_statements(t, crate):
        if not allows(s):
            continue
        acts = [a.split(":", 1)[1] for a in actions(s) if a.lower().startswith("dynamodb:")]
        if not acts:
            continue
        named = refs(s.get("Resource")) & tables
        if not named:
            problems.append(f"{crate}: {s.get('Sid', '?')} grants DynamoDB on no table of this template")
        for a in acts:
            for tbl in named:
                if a in STREAM_ACTIONS:
                    streams.add(tbl)
                elif a not in METADATA_ACTIONS:
                    data.setdefault(tbl, set()).add(a)
    return data, streams, problems


def rule_dynamodb_least_privilege(t: dict) -> list[str]:
    v = []
    fns = functions(t)
    for crate in FUNCTIONS:
        if crate not in fns:
            v.append(f"no {crate} function")
            continue
        data, streams, problems = _dynamodb_grants(t, crate)
        v += problems
        if data != EXPECTED_DYNAMODB[crate]:
            v.append(f"{crate}: DynamoDB data actions {sorted((k, sorted(x)) for k, x in data.items())}, "
                     f"expected {sorted((k, sorted(x)) for k, x in EXPECTED_DYNAMODB[crate].items())}")
        if streams != EXPECTED_STREAMS.get(crate, set()):
            v.append(f"{crate}: reads streams of {sorted(streams)}, expected {sorted(EXPECTED_STREAMS.get(crate, set()))}")
    return v


def rule_submit_only_writes_reports(t: dict) -> list[str]:
    v = []
    for s in function_statements(t, "submit-report"):
        if not allows(s):
            continue
        for a in actions(s):
            if a.lower().startswith("dynamodb:") and a.split(":", 1)[1] not in {"PutItem"} | METADATA_ACTIONS:
                v.append(f"submit-report: {a} (it may only write reports)")
            if a.lower().startswith("dynamodb:") and refs(s.get("Resource")) - {"ReportsTable"}:
                v.append(f"submit-report: {a} on {sorted(refs(s.get('Resource')))}")
            if a.lower().startswith("kms:") and a not in ("kms:GenerateDataKey", "kms:DescribeKey"):
                v.append(f"submit-report: {a}")
    return v


def _context(s: dict) -> tuple[set[str], set[str]] | None:
    cond = s.get("Condition") or {}
    eq = cond.get("StringEquals") or {}
    table = eq.get("kms:EncryptionContext:table")
    kind = eq.get("kms:EncryptionContext:kind")
    if table is None or kind is None:
        return None
    return {str(x) for x in as_list(table)}, {str(x) for x in as_list(kind)}


ENVELOPE_ACTIONS = {"kms:generatedatakey", "kms:decrypt", "kms:encrypt", "kms:generatedatakeywithoutplaintext",
                    "kms:reencryptfrom", "kms:reencryptto", "kms:generatedatakeypair"}


def rule_kms_grants_bound_to_context(t: dict) -> list[str]:
    v = []
    # Roles: every envelope action carries StringEquals on table and kind, and the grants are exactly the design's.
    fns = functions(t)
    for crate in FUNCTIONS:
        if crate not in fns:
            continue
        granted = set()
        mac = False
        for s in function_statements(t, crate):
            if not allows(s):
                continue
            acts = [a for a in actions(s) if a.lower() in ENVELOPE_ACTIONS]
            if any(a.lower() == "kms:generatemac" for a in actions(s)):
                if refs(s.get("Resource")) == {"AuditKey"}:
                    continue  # the audit chain's own key: rule_audit_chain_key
                mac = True
                if refs(s.get("Resource")) != {"MacKey"}:
                    v.append(f"{crate}: kms:GenerateMac on {sorted(refs(s.get('Resource')))}, not the MAC key alone")
            if not acts:
                continue
            ctx = _context(s)
            if ctx is None:
                v.append(f"{crate}: {s.get('Sid', '?')} grants {acts} without an encryption-context condition")
                continue
            for a in acts:
                for tbl in ctx[0]:
                    for kind in ctx[1]:
                        granted.add((a, tbl, kind))
        if granted != EXPECTED_KMS[crate]:
            v.append(f"{crate}: KMS grants {sorted(granted)}, expected {sorted(EXPECTED_KMS[crate])}")
        if mac != (crate in MAC_USERS):
            v.append(f"{crate}: kms:GenerateMac {'granted' if mac else 'missing'}")
    # Key policies: an envelope action is either DynamoDB's own use (ViaService) or bound to a context.
    for name, k in resources(t, "AWS::KMS::Key"):
        for s in statements((k.get("Properties") or {}).get("KeyPolicy")):
            acts = [a for a in actions(s) if a.lower() in ENVELOPE_ACTIONS]
            if not acts or not allows(s):
                continue
            cond = s.get("Condition") or {}
            via = (cond.get("StringEquals") or {}).get("kms:ViaService")
            bound = (cond.get("Null") or {}).get("kms:EncryptionContext:table") == "false" or _context(s) is not None
            if not via and not bound:
                v.append(f"{name}: key policy {s.get('Sid', '?')} allows {acts} without ViaService or an encryption context")
            via_text = via.get("Fn::Sub") if isinstance(via, dict) else via
            if via and not str(via_text).startswith("dynamodb."):
                v.append(f"{name}: key policy {s.get('Sid', '?')} allows {acts} through {via}")
    return v


def rule_functions_built_and_logged(t: dict) -> list[str]:
    v = []
    globals_fn = ((t.get("Globals") or {}).get("Function")) or {}
    if "Metadata" in globals_fn:
        v.append("Globals.Function has Metadata (SAM ignores it there)")
    fns = functions(t)
    if sorted(fns) != sorted(FUNCTIONS):
        v.append(f"functions {sorted(fns)}, expected {sorted(FUNCTIONS)}")
    binaries = []
    for crate, (name, r) in fns.items():
        p = {**globals_fn, **(r.get("Properties") or {})}
        md = r.get("Metadata") or {}
        if md.get("BuildMethod") != "rust-cargolambda":
            v.append(f"{name}: Metadata.BuildMethod is not rust-cargolambda")
        binary = (md.get("BuildProperties") or {}).get("Binary")
        if binary != crate:
            v.append(f"{name}: BuildProperties.Binary is {binary!r}, expected {crate!r}")
        binaries.append(binary)
        if str(p.get("CodeUri")) != f"../functions/{crate}":
            v.append(f"{name}: CodeUri is {p.get('CodeUri')!r}")
        if as_list(p.get("Architectures")) != ["arm64"]:
            v.append(f"{name}: Architectures is not [arm64]")
        if p.get("Runtime") != "provided.al2023":
            v.append(f"{name}: Runtime is not provided.al2023")
        if p.get("Handler") != "bootstrap":
            v.append(f"{name}: Handler is not bootstrap")
        mem, timeout = p.get("MemorySize"), p.get("Timeout")
        if not isinstance(mem, int) or not 128 <= mem <= 3008:
            v.append(f"{name}: MemorySize {mem!r}")
        if not isinstance(timeout, int) or not 1 <= timeout <= 300:
            v.append(f"{name}: Timeout {timeout!r}")
        group = refs((p.get("LoggingConfig") or {}).get("LogGroup"))
        groups = [g for g in group if (t["Resources"].get(g) or {}).get("Type") == "AWS::Logs::LogGroup"]
        if not groups:
            v.append(f"{name}: LoggingConfig.LogGroup is not a log group of this template")
        for g in groups:
            if "RetentionInDays" not in (t["Resources"][g].get("Properties") or {}):
                v.append(f"{name}: log group {g} keeps logs forever (no RetentionInDays)")
        env = set(((p.get("Environment") or {}).get("Variables") or {}).keys())
        if env != EXPECTED_ENV.get(crate, env):
            v.append(f"{name}: environment {sorted(env)}, expected {sorted(EXPECTED_ENV[crate])}")
        if crate in ARGON2_MALLOC:
            threshold = ((p.get("Environment") or {}).get("Variables") or {}).get("MALLOC_MMAP_THRESHOLD_")
            if str(threshold) != ARGON2_MALLOC[crate]:
                v.append(f"{name}: MALLOC_MMAP_THRESHOLD_ is {threshold!r}, not {ARGON2_MALLOC[crate]!r} (argon2id's blocks)")
    if len(binaries) != len(set(binaries)):
        v.append("two functions build the same binary")
    return v


def rule_tables_protected(t: dict) -> list[str]:
    v = []
    keys = {n for n, _ in resources(t, "AWS::KMS::Key")}
    tables = list(resources(t, "AWS::DynamoDB::Table"))
    if sorted(n for n, _ in tables) != ["AlertsTable", "AuditTable", "ReportsTable", "SubscribersTable"]:
        v.append(f"tables {sorted(n for n, _ in tables)}")
    for name, r in tables:
        p = r.get("Properties") or {}
        if (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is not True:
            v.append(f"{name}: point-in-time recovery is off")
        if p.get("DeletionProtectionEnabled") is not True:
            v.append(f"{name}: deletion protection is off")
        sse = p.get("SSESpecification") or {}
        if sse.get("SSEEnabled") is not True or sse.get("SSEType") != "KMS" or not (refs(sse.get("KMSMasterKeyId")) & keys):
            v.append(f"{name}: not encrypted with the project's own KMS key")
        if r.get("DeletionPolicy") != "Retain" or r.get("UpdateReplacePolicy") != "Retain":
            v.append(f"{name}: DeletionPolicy/UpdateReplacePolicy not Retain")
        if p.get("BillingMode") != "PAY_PER_REQUEST":
            v.append(f"{name}: not PAY_PER_REQUEST")
        ttl = p.get("TimeToLiveSpecification") or {}
        if ttl.get("AttributeName") != "expires_at" or ttl.get("Enabled") is not True:
            v.append(f"{name}: TTL is not on expires_at")
        ks = [(k.get("AttributeName"), k.get("KeyType")) for k in as_list(p.get("KeySchema"))]
        if ks != [("pk", "HASH"), ("sk", "RANGE")]:
            v.append(f"{name}: key schema {ks}")
        gsis = {g.get("IndexName"): g for g in as_list(p.get("GlobalSecondaryIndexes"))}
        g = gsis.get("gsi1")
        if g is None:
            v.append(f"{name}: no gsi1")
        else:
            gks = [(k.get("AttributeName"), k.get("KeyType")) for k in as_list(g.get("KeySchema"))]
            if gks != [("gsi1pk", "HASH"), ("gsi1sk", "RANGE")] or (g.get("Projection") or {}).get("ProjectionType") != "ALL":
                v.append(f"{name}: gsi1 is not gsi1pk/gsi1sk with projection ALL")
        stream = (p.get("StreamSpecification") or {}).get("StreamViewType")
        wants_stream = name in ("ReportsTable", "AlertsTable", "SubscribersTable")
        if wants_stream and stream != "NEW_AND_OLD_IMAGES":
            v.append(f"{name}: stream is {stream!r}, expected NEW_AND_OLD_IMAGES")
    for name, r in resources(t, "AWS::KMS::Key"):
        p = r.get("Properties") or {}
        if r.get("DeletionPolicy") != "Retain" or r.get("UpdateReplacePolicy") != "Retain":
            v.append(f"{name}: DeletionPolicy/UpdateReplacePolicy not Retain")
        if p.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and p.get("EnableKeyRotation") is not True:
            v.append(f"{name}: symmetric key without rotation")
    if not any((r.get("Properties") or {}).get("KeyUsage") == "GENERATE_VERIFY_MAC" for _, r in resources(t, "AWS::KMS::Key")):
        v.append("no HMAC key (KeyUsage GENERATE_VERIFY_MAC)")
    return v


FORBIDDEN_LOG_VARIABLES = ("sourceip", "useragent", "identity.", "$context.path", "requestoverride", "authorizer.claims")


def rule_access_log_records_no_one(t: dict) -> list[str]:
    v = []
    apis = list(resources(t, "AWS::Serverless::HttpApi")) + list(resources(t, "AWS::ApiGatewayV2::Stage"))
    if not apis:
        v.append("no HTTP API")
    for name, r in apis:
        settings = (r.get("Properties") or {}).get("AccessLogSettings")
        if not settings:
            v.append(f"{name}: no access log")
            continue
        fmt = str(settings.get("Format", "")).lower()
        for bad in FORBIDDEN_LOG_VARIABLES:
            if bad in fmt:
                v.append(f"{name}: access log format records {bad}")
    return v


def rule_jwt_only_on_admin(t: dict) -> list[str]:
    v = []
    for name, r in resources(t, FUNCTION):
        for ev_name, ev in ((r.get("Properties") or {}).get("Events") or {}).items():
            if ev.get("Type") != "HttpApi":
                continue
            p = ev.get("Properties") or {}
            path = str(p.get("Path", ""))
            auth = (p.get("Auth") or {}).get("Authorizer")
            if path.startswith("/admin"):
                if auth != "StaffJwt":
                    v.append(f"{name}.{ev_name}: {path} is not behind the staff JWT authorizer")
            elif auth not in (None, "NONE"):
                v.append(f"{name}.{ev_name}: public path {path} has authorizer {auth}")
    for name, r in resources(t, "AWS::Serverless::HttpApi"):
        auth = (r.get("Properties") or {}).get("Auth") or {}
        if auth.get("DefaultAuthorizer"):
            v.append(f"{name}: a default authorizer would cover the public paths")
        cors = (r.get("Properties") or {}).get("CorsConfiguration")
        if cors is True or "'*'" in str(cors) or '"*"' in str(cors) or (isinstance(cors, dict) and "*" in as_list(cors.get("AllowOrigins"))):
            v.append(f"{name}: CORS allows any origin")
        routes = (r.get("Properties") or {}).get("DefaultRouteSettings") or {}
        if "ThrottlingRateLimit" not in routes or "ThrottlingBurstLimit" not in routes:
            v.append(f"{name}: no default route throttling")
    return v


def rule_staff_sign_in(t: dict) -> list[str]:
    v = []
    pools = list(resources(t, "AWS::Cognito::UserPool"))
    if len(pools) != 1:
        return [f"{len(pools)} user pools"]
    name, pool = pools[0]
    p = pool.get("Properties") or {}
    if p.get("MfaConfiguration") != "ON":
        v.append(f"{name}: MFA is not required")
    if "SOFTWARE_TOKEN_MFA" not in as_list(p.get("EnabledMfas")):
        v.append(f"{name}: no software-token MFA")
    if (p.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly") is not True:
        v.append(f"{name}: self sign-up is allowed")
    pw = ((p.get("Policies") or {}).get("PasswordPolicy")) or {}
    if int(pw.get("MinimumLength", 0)) < 12 or not all(pw.get(k) for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")):
        v.append(f"{name}: weak password policy")
    for _, c in resources(t, "AWS::Cognito::UserPoolClient"):
        if (c.get("Properties") or {}).get("GenerateSecret"):
            v.append("the staff console client has a secret (a browser cannot keep one)")
    v += staff_login_client(t)
    groups = {str((g.get("Properties") or {}).get("GroupName")) for _, g in resources(t, "AWS::Cognito::UserPoolGroup")}
    if groups != {"caseworker", "reviewer", "office_manager", "admin"}:
        v.append(f"staff groups {sorted(groups)}")
    return v


def branches(value: Any) -> list[Any]:
    """Both values of an `!If [condition, a, b]` (AWS::NoValue as None), else the value itself."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, a, b = value["Fn::If"]
        return [None if x == {"Ref": "AWS::NoValue"} else x for x in (a, b)]
    return [value]


def staff_login_client(t: dict) -> list[str]:
    """The console's managed login: the authorization-code grant only (never implicit or client credentials), and
    callback and sign-out URLs only on the site's own address (https://${SiteDomain}/staff/...)."""
    v = []
    for name, c in resources(t, "AWS::Cognito::UserPoolClient"):
        p = c.get("Properties") or {}
        for flows in branches(p.get("AllowedOAuthFlows")):
            if flows is not None and set(as_list(flows)) != {"code"}:
                v.append(f"{name}: OAuth flows {as_list(flows)}: only the authorization-code grant is allowed")
        for key in ("CallbackURLs", "LogoutURLs", "DefaultRedirectURI"):
            for urls in branches(p.get(key)):
                for u in as_list(urls) if urls is not None else []:
                    sub = u.get("Fn::Sub") if isinstance(u, dict) else None
                    if not (isinstance(sub, str) and re.fullmatch(r"https://\$\{SiteDomain\}/staff/[a-z-]+", sub)):
                        v.append(f"{name}: {key} {u} is not a /staff/ path of the site's own address")
        if p.get("AllowedOAuthFlowsUserPoolClient") not in (None, False) and not p.get("CallbackURLs"):
            v.append(f"{name}: OAuth without callback URLs")
    return v


def rule_site_private(t: dict) -> list[str]:
    v = []
    for name, b in resources(t, "AWS::S3::Bucket"):
        p = b.get("Properties") or {}
        pab = p.get("PublicAccessBlockConfiguration") or {}
        if not all(pab.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")):
            v.append(f"{name}: public access is not fully blocked")
        if not p.get("BucketEncryption"):
            v.append(f"{name}: not encrypted")
        if (p.get("VersioningConfiguration") or {}).get("Status") != "Enabled":
            v.append(f"{name}: not versioned")
    for name, d in resources(t, "AWS::CloudFront::Distribution"):
        cfg = ((d.get("Properties") or {}).get("DistributionConfig")) or {}
        for o in as_list(cfg.get("Origins")):
            if "S3OriginConfig" in o and not o.get("OriginAccessControlId"):
                v.append(f"{name}: S3 origin {o.get('Id')} without Origin Access Control")
        behaviours = [cfg.get("DefaultCacheBehavior") or {}] + as_list(cfg.get("CacheBehaviors"))
        for beh in behaviours:
            if beh.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
                v.append(f"{name}: {beh.get('PathPattern', 'default')} allows plain http")
            if not beh.get("ResponseHeadersPolicyId"):
                v.append(f"{name}: {beh.get('PathPattern', 'default')} has no security headers")
        patterns = {str(b.get("PathPattern")) for b in as_list(cfg.get("CacheBehaviors")) if b.get("TargetOriginId") == "api"}
        for needed in (
            "/reports", "/subscriptions", "/subscriptions/*", "/unsubscribe", "/stop/*", "/alerts/*", "/admin/*", "/follow-up",
            "/follow-up/*",
        ):
            if needed not in patterns:
                v.append(f"{name}: {needed} does not go to the API origin")
        if cfg.get("Logging"):
            v.append(f"{name}: CloudFront access logs record viewers' IP addresses")
    for name, h in resources(t, "AWS::CloudFront::ResponseHeadersPolicy"):
        sec = (((h.get("Properties") or {}).get("ResponseHeadersPolicyConfig")) or {}).get("SecurityHeadersConfig") or {}
        if "StrictTransportSecurity" not in sec:
            v.append(f"{name}: no HSTS")
        if "default-src 'self'" not in str((sec.get("ContentSecurityPolicy") or {}).get("ContentSecurityPolicy", "")):
            v.append(f"{name}: CSP is not default-src 'self'")
        if "ContentTypeOptions" not in sec:
            v.append(f"{name}: no X-Content-Type-Options")
        if (sec.get("FrameOptions") or {}).get("FrameOption") != "DENY":
            v.append(f"{name}: X-Frame-Options is not DENY")
        if (sec.get("ReferrerPolicy") or {}).get("ReferrerPolicy") != "no-referrer":
            v.append(f"{name}: Referrer-Policy is not no-referrer")
    return v


def rule_alarms(t: dict) -> list[str]:
    """Every function's errors and throttles reach the operator: through an alarm on that function, or one on
    Lambda's sum over the account's functions (no dimensions), which covers them all."""
    v = []
    watched: dict[str, set[str]] = {}
    every_function: set[str] = set()
    for _, a in resources(t, "AWS::CloudWatch::Alarm"):
        p = a.get("Properties") or {}
        if not p.get("AlarmActions"):
            continue
        metric = str(p.get("MetricName"))
        if p.get("Namespace") == "AWS/Lambda" and not p.get("Dimensions") and not p.get("Metrics"):
            every_function.add(metric)
        for target in refs(p.get("Dimensions")):
            watched.setdefault(target, set()).add(metric)
    for name, _ in resources(t, FUNCTION):
        missing = {"Errors", "Throttles"} - watched.get(name, set()) - every_function
        if missing:
            v.append(f"{name}: no alarm on {sorted(missing)}")
    if not list(resources(t, "AWS::SNS::Subscription")):
        v.append("nobody is subscribed to the alarm topic")
    return v


# The functions that send email and SMS: alerts and codes to members, content-free notices to staff on duty.
SENDERS = {"deliver-alert", "staff-notices"}


def rule_email_sending_scoped(t: dict) -> list[str]:
    v = []
    for crate in FUNCTIONS:
        if crate not in functions(t):
            continue
        for s in function_statements(t, crate):
            if not allows(s):
                continue
            acts = [a.lower() for a in actions(s)]
            if any(a.startswith("ses:") for a in acts):
                if crate not in SENDERS:
                    v.append(f"{crate}: may send email")
                res = refs(s.get("Resource"))
                if "*" in as_list(s.get("Resource")) or not {"SesIdentity", "EmailConfigurationSet"} <= res:
                    v.append(f"{crate}: ses actions not limited to the identity and configuration set")
                if acts != ["ses:sendemail"]:
                    v.append(f"{crate}: ses actions {acts}")
            if any(a.startswith("sns:") for a in acts) and crate not in SENDERS:
                v.append(f"{crate}: may publish to SNS")
    return v


# The functions API Gateway calls: behind CloudFront they count clients by CloudFront-Viewer-Address.
HTTP_FUNCTIONS = ["submit-report", "subscriptions", "admin-api"]


def rule_viewer_address_only_through_cloudfront(t: dict) -> list[str]:
    """CloudFront adds the origin secret to every request to the API, and each HTTP function knows that same secret:
    without both, the functions would either count every viewer as one edge server or believe a forged header."""
    v = []
    secrets = [n for n, _ in resources(t, "AWS::SecretsManager::Secret") if n == "OriginVerifySecret"]
    if not secrets:
        return ["no OriginVerifySecret"]
    for name, d in resources(t, "AWS::CloudFront::Distribution"):
        cfg = ((d.get("Properties") or {}).get("DistributionConfig")) or {}
        for o in as_list(cfg.get("Origins")):
            if o.get("Id") != "api":
                continue
            headers = {h.get("HeaderName", "").lower(): h.get("HeaderValue") for h in as_list(o.get("OriginCustomHeaders"))}
            if "OriginVerifySecret" not in refs(headers.get("x-origin-verify")):
                v.append(f"{name}: the api origin does not send X-Origin-Verify from OriginVerifySecret")
    fns = functions(t)
    for crate in HTTP_FUNCTIONS:
        if crate not in fns:
            continue
        fname, r = fns[crate]
        env = (((r.get("Properties") or {}).get("Environment") or {}).get("Variables")) or {}
        if "OriginVerifySecret" not in refs(env.get("ORIGIN_VERIFY_SECRET")):
            v.append(f"{fname}: ORIGIN_VERIFY_SECRET is not OriginVerifySecret")
    return v


# The line the code logs when a code is refused because the day's budget is spent (`BUDGET_SPENT_LOG` in
# shared/src/usecases/subscriptions/codes.rs), and the functions that send codes.
BUDGET_SPENT_LOG = "daily code budget spent"
CODE_SENDERS = {"subscriptions", "admin-api"}


def rule_code_budget_alarm(t: dict) -> list[str]:
    """Each function that sends codes has the budget as configuration, its log is counted for the budget-spent line,
    and an alarm with an action watches that count."""
    v = []
    fns = functions(t)
    counted: dict[str, set[tuple[str, str]]] = {}
    for _, f in resources(t, "AWS::Logs::MetricFilter"):
        p = f.get("Properties") or {}
        if BUDGET_SPENT_LOG not in str(p.get("FilterPattern", "")):
            continue
        for group in refs(p.get("LogGroupName")):
            for m in as_list(p.get("MetricTransformations")):
                counted.setdefault(group, set()).add((str(m.get("MetricNamespace")), str(m.get("MetricName"))))
    metrics = set().union(*counted.values()) if counted else set()
    for crate in sorted(CODE_SENDERS):
        if crate not in fns:
            continue
        name, fn = fns[crate]
        props_ = fn.get("Properties") or {}
        env = ((props_.get("Environment") or {}).get("Variables")) or {}
        if "CodeBudgetPerDay" not in refs(env.get("CODE_BUDGET_PER_DAY")):
            v.append(f"{crate}: CODE_BUDGET_PER_DAY is not the CodeBudgetPerDay parameter")
        groups = refs((props_.get("LoggingConfig") or {}).get("LogGroup"))
        if not any(g in counted for g in groups):
            v.append(f"{crate}: no metric filter counts '{BUDGET_SPENT_LOG}' in its log group")
    alarmed = False
    for _, a in resources(t, "AWS::CloudWatch::Alarm"):
        p = a.get("Properties") or {}
        if (str(p.get("Namespace")), str(p.get("MetricName"))) in metrics and p.get("AlarmActions"):
            alarmed = True
    if not alarmed:
        v.append("no alarm with an action watches the code budget")
    return v


def _principal_arns(s: dict) -> list[str]:
    arns = ((s.get("Condition") or {}).get("ArnEquals") or {}).get("aws:PrincipalArn")
    return [str(a.get("Fn::Sub") if isinstance(a, dict) else a) for a in as_list(arns)]


MAC_ACTIONS = {"kms:generatemac", "kms:verifymac"}
LOG_ERASING = {"logs:deletelogevents", "logs:deletelogstream", "logs:deleteloggroup", "logs:putretentionpolicy",
               "logs:deleteretentionpolicy", "logs:*"}
WRITES = ("dynamodb:put", "dynamodb:update", "dynamodb:delete", "dynamodb:batchwrite", "logs:put", "logs:create",
          "logs:delete", "kms:encrypt", "kms:generatedatakey")


def rule_audit_chain_key(t: dict) -> list[str]:
    """The audit chain is keyed with a key of its own: the appender may make links (GenerateMac) and nothing else with
    it, only the verifier role may check them, and the appender cannot erase the anchors (its log lines)."""
    v = []
    key = t["Resources"].get("AuditKey")
    if not key or (key.get("Properties") or {}).get("KeyUsage") != "GENERATE_VERIFY_MAC":
        v.append("no AuditKey with KeyUsage GENERATE_VERIFY_MAC")
        return v
    # Functions: only the appenders touch the audit key, with GenerateMac (and DescribeKey).
    for crate in FUNCTIONS:
        if crate not in functions(t):
            continue
        uses = set()
        for s in function_statements(t, crate):
            if not allows(s):
                continue
            if "AuditKey" in refs(s.get("Resource")) or "*" in as_list(s.get("Resource")):
                uses |= {a.lower() for a in actions(s) if a.lower().startswith("kms:")} - {"kms:describekey"}
            if any(a.lower() == "kms:verifymac" for a in actions(s)):
                v.append(f"{crate}: kms:VerifyMac (only the audit verifier checks links)")
            for a in actions(s):
                if a.lower() in LOG_ERASING:
                    v.append(f"{crate}: {a} (the log lines are the audit chain's anchors)")
        expected = {"kms:generatemac"} if crate in AUDIT_CHAIN_APPENDERS else set()
        if uses != expected:
            v.append(f"{crate}: uses the audit key with {sorted(uses)}, expected {sorted(expected)}")
    # The key policy: each MAC action is bound to the admin API's role (GenerateMac) or the verifier role.
    for s in statements((key.get("Properties") or {}).get("KeyPolicy")):
        acts = {a.lower() for a in actions(s)}
        if not allows(s) or not acts & (MAC_ACTIONS | ENVELOPE_ACTIONS | {"kms:*"}):
            continue
        arns = _principal_arns(s)
        if not arns:
            v.append(f"AuditKey: key policy {s.get('Sid', '?')} allows {sorted(acts)} to the whole account")
            continue
        for arn in arns:
            if arn.endswith("-admin-api") or arn.endswith("-staff-notices"):
                if acts - {"kms:generatemac", "kms:describekey"}:
                    v.append(f"AuditKey: the admin API may {sorted(acts)}")
            elif not arn.endswith("-audit-verifier"):
                v.append(f"AuditKey: key policy {s.get('Sid', '?')} allows {sorted(acts)} to {arn}")
    # The verifier: reads and checks, writes nothing, and is taken on with MFA.
    role = t["Resources"].get(AUDIT_VERIFIER_ROLE)
    if not role:
        v.append(f"no {AUDIT_VERIFIER_ROLE}")
        return v
    rp = role.get("Properties") or {}
    for s in role_statements(t, AUDIT_VERIFIER_ROLE, role):
        for a in actions(s):
            if allows(s) and (a.lower().startswith(WRITES) or _wildcard(a)):
                v.append(f"{AUDIT_VERIFIER_ROLE}: {a} (the verifier writes nothing)")
    trust = statements(rp.get("AssumeRolePolicyDocument"))
    for s in trust:
        mfa = ((s.get("Condition") or {}).get("Bool") or {}).get("aws:MultiFactorAuthPresent")
        if allows(s) and str(mfa).lower() != "true":
            v.append(f"{AUDIT_VERIFIER_ROLE}: may be assumed without MFA")
    return v


ALL_RULES = [
    rule_stream_sources,
    rule_no_wildcard_actions,
    rule_functions_own_their_roles,
    rule_deliverer_cannot_read_reports,
    rule_dynamodb_least_privilege,
    rule_submit_only_writes_reports,
    rule_kms_grants_bound_to_context,
    rule_functions_built_and_logged,
    rule_tables_protected,
    rule_access_log_records_no_one,
    rule_jwt_only_on_admin,
    rule_staff_sign_in,
    rule_site_private,
    rule_alarms,
    rule_email_sending_scoped,
    rule_viewer_address_only_through_cloudfront,
    rule_code_budget_alarm,
    rule_audit_chain_key,
]
