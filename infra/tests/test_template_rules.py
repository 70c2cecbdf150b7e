"""The template keeps every rule, and every rule finds a template that breaks it.

Each mutation below breaks one thing in a copy of the parsed template; the named rule must report it. A rule that
passes on the real template but cannot see the mutation is as bad as a broken template.
"""

from __future__ import annotations

import copy
from typing import Callable

import pytest

import rules as R


@pytest.fixture(scope="module")
def template() -> dict:
    return R.load()


@pytest.mark.parametrize("rule", R.ALL_RULES, ids=lambda r: r.__name__)
def test_the_template_keeps_the_rule(template, rule):
    assert rule(template) == []


# ---- mutations: (rule, what is broken, how) ---------------------------------------------------------------------


def res(t, name):
    return t["Resources"][name]


def props(t, name):
    return res(t, name)["Properties"]


def event(t, fn, ev):
    return props(t, fn)["Events"][ev]["Properties"]


def role_statements(t, role):
    return props(t, role)["Policies"][0]["PolicyDocument"]["Statement"]


def stmt(t, role, sid):
    for s in role_statements(t, role):
        if s.get("Sid") == sid:
            return s
    raise KeyError(sid)


def add_statement(t, role, s):
    role_statements(t, role).append(s)


def m_no_partial_batch(t):
    event(t, "DeliverAlertFunction", "AlertsStream")["FunctionResponseTypes"] = []


def m_no_bisect(t):
    del event(t, "SanitiseReportFunction", "ReportsStream")["BisectBatchOnFunctionError"]


def m_unbounded_retries(t):
    event(t, "DeliverAlertFunction", "SubscribersStream")["MaximumRetryAttempts"] = -1


def m_unbounded_record_age(t):
    event(t, "SanitiseReportFunction", "ReportsStream")["MaximumRecordAgeInSeconds"] = -1


def m_no_on_failure(t):
    del event(t, "DeliverAlertFunction", "AlertsStream")["DestinationConfig"]


def m_queue_without_alarm(t):
    del t["Resources"]["AlertsStreamFailuresAlarm"]


def m_latest_position(t):
    event(t, "SanitiseReportFunction", "ReportsStream")["StartingPosition"] = "LATEST"


def m_dynamodb_star(t):
    stmt(t, "AdminApiRole", "Alerts")["Action"] = "dynamodb:*"


def m_dynamodb_get_star(t):
    stmt(t, "AdminApiRole", "Alerts")["Action"] = ["dynamodb:Get*", "dynamodb:Query"]


def m_kms_star_in_key_policy(t):
    props(t, "DataKey")["KeyPolicy"]["Statement"][0]["Action"] = "kms:*"


def m_star_action(t):
    add_statement(t, "SubmitReportRole", {"Effect": "Allow", "Action": "*", "Resource": "*"})


def m_kms_generate_star(t):
    stmt(t, "SubmitReportRole", "SealReports")["Action"] = "kms:GenerateDataKey*"


def m_managed_policy(t):
    props(t, "DeliverAlertRole")["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"
    ]


def m_sam_policy_template(t):
    props(t, "DeliverAlertFunction")["Policies"] = [{"DynamoDBReadPolicy": {"TableName": {"Ref": "ReportsTable"}}}]


def m_deliverer_reads_reports(t):
    add_statement(t, "DeliverAlertRole", {
        "Sid": "Oops", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["ReportsTable", "Arn"]},
    })


def m_deliverer_reads_reports_stream(t):
    stmt(t, "DeliverAlertRole", "ReadAlertsAndSubscribersStreams")["Resource"].append(
        {"Fn::GetAtt": ["ReportsTable", "StreamArn"]}
    )


def m_deliverer_reads_reports_by_sub(t):
    add_statement(t, "DeliverAlertRole", {
        "Sid": "Oops", "Effect": "Allow", "Action": "dynamodb:Query", "Resource": {"Fn::Sub": "${ReportsTable.Arn}/index/gsi1"},
    })


def m_deliverer_dynamodb_on_star(t):
    add_statement(t, "DeliverAlertRole", {"Sid": "Oops", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})


def m_deliverer_told_reports_table(t):
    props(t, "DeliverAlertFunction")["Environment"]["Variables"]["REPORTS_TABLE"] = {"Ref": "ReportsTable"}


def m_submit_reads(t):
    stmt(t, "SubmitReportRole", "WriteReports")["Action"] = ["dynamodb:PutItem", "dynamodb:GetItem"]


def m_submit_writes_alerts(t):
    stmt(t, "SubmitReportRole", "WriteReports")["Resource"] = [
        {"Fn::GetAtt": ["ReportsTable", "Arn"]}, {"Fn::GetAtt": ["AlertsTable", "Arn"]},
    ]


def m_submit_decrypts(t):
    stmt(t, "SubmitReportRole", "SealReports")["Action"] = ["kms:GenerateDataKey", "kms:Decrypt"]


def m_sanitiser_updates_alerts(t):
    stmt(t, "SanitiseReportRole", "DraftAlerts")["Action"].append("dynamodb:UpdateItem")


def m_kms_without_context(t):
    del stmt(t, "DeliverAlertRole", "OpenAlerts")["Condition"]


def m_kms_wrong_context(t):
    stmt(t, "DeliverAlertRole", "OpenAlerts")["Condition"]["StringEquals"]["kms:EncryptionContext:table"] = "reports"


def m_kms_only_table_context(t):
    del stmt(t, "SubscriptionsRole", "ContactKeys")["Condition"]["StringEquals"]["kms:EncryptionContext:kind"]


def m_deliverer_gets_mac(t):
    add_statement(t, "DeliverAlertRole", {
        "Sid": "Mac", "Effect": "Allow", "Action": "kms:GenerateMac", "Resource": {"Fn::GetAtt": ["MacKey", "Arn"]},
    })


def m_key_policy_unbound(t):
    s = props(t, "DataKey")["KeyPolicy"]["Statement"][2]
    del s["Condition"]["Null"]


def m_metadata_missing(t):
    del res(t, "AdminApiFunction")["Metadata"]


def m_metadata_in_globals(t):
    t["Globals"] = {"Function": {"Metadata": {"BuildMethod": "rust-cargolambda"}}}


def m_x86(t):
    props(t, "SubscriptionsFunction")["Architectures"] = ["x86_64"]


def m_old_runtime(t):
    props(t, "SubmitReportFunction")["Runtime"] = "provided.al2"


def m_log_forever(t):
    del props(t, "DeliverAlertLogs")["RetentionInDays"]


def m_no_log_group(t):
    del props(t, "SanitiseReportFunction")["LoggingConfig"]


def m_wrong_binary(t):
    res(t, "SubscriptionsFunction")["Metadata"]["BuildProperties"]["Binary"] = "submit-report"


def m_extra_env(t):
    props(t, "SubmitReportFunction")["Environment"]["Variables"]["MAC_KEY_ID"] = "x"


def m_no_pitr(t):
    props(t, "AuditTable")["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": False}


def m_no_deletion_protection(t):
    props(t, "ReportsTable")["DeletionProtectionEnabled"] = False


def m_aws_owned_key(t):
    props(t, "SubscribersTable")["SSESpecification"] = {"SSEEnabled": True}


def m_table_deletable(t):
    res(t, "AlertsTable")["DeletionPolicy"] = "Delete"


def m_no_rotation(t):
    props(t, "DataKey")["EnableKeyRotation"] = False


def m_keys_only_stream(t):
    props(t, "AlertsTable")["StreamSpecification"]["StreamViewType"] = "KEYS_ONLY"


def m_logs_ip(t):
    s = props(t, "HttpApi")["AccessLogSettings"]
    s["Format"] = s["Format"][:-1] + ',"ip":"$context.identity.sourceIp"}'


def m_logs_user_agent(t):
    s = props(t, "HttpApi")["AccessLogSettings"]
    s["Format"] = s["Format"][:-1] + ',"ua":"$context.identity.userAgent"}'


def m_admin_without_jwt(t):
    del event(t, "AdminApiFunction", "Admin")["Auth"]


def m_public_with_jwt(t):
    event(t, "SubmitReportFunction", "SubmitReport")["Auth"] = {"Authorizer": "StaffJwt"}


def m_cors_any(t):
    props(t, "HttpApi")["CorsConfiguration"] = {"AllowOrigins": ["*"]}


def m_no_throttling(t):
    del props(t, "HttpApi")["DefaultRouteSettings"]


def m_mfa_optional(t):
    props(t, "StaffUserPool")["MfaConfiguration"] = "OPTIONAL"


def m_self_sign_up(t):
    props(t, "StaffUserPool")["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] = False


def m_implicit_flow(t):
    props(t, "StaffConsoleClient")["AllowedOAuthFlows"] = {"Fn::If": ["UseCustomDomain", ["code", "implicit"], {"Ref": "AWS::NoValue"}]}


def m_callback_elsewhere(t):
    props(t, "StaffConsoleClient")["CallbackURLs"] = {"Fn::If": ["UseCustomDomain", ["https://evil.example/staff/callback"], {"Ref": "AWS::NoValue"}]}


def m_sign_out_elsewhere(t):
    props(t, "StaffConsoleClient")["LogoutURLs"] = {"Fn::If": ["UseCustomDomain", [{"Fn::Sub": "https://${SiteDomain}.evil.example/staff/signed-out"}], {"Ref": "AWS::NoValue"}]}


def m_missing_group(t):
    del t["Resources"]["OfficeManagerGroup"]


def m_public_bucket(t):
    props(t, "SiteBucket")["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False


def m_http_allowed(t):
    props(t, "SiteDistribution")["DistributionConfig"]["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "allow-all"


def m_frames_allowed(t):
    cfg = props(t, "SecurityHeaders")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    cfg["FrameOptions"]["FrameOption"] = "SAMEORIGIN"


def m_cloudfront_logs(t):
    props(t, "SiteDistribution")["DistributionConfig"]["Logging"] = {"Bucket": "logs.s3.amazonaws.com"}


def m_no_throttle_alarm(t):
    del t["Resources"]["FunctionThrottlesAlarm"]


def m_errors_alarm_on_one_function(t):
    props(t, "FunctionErrorsAlarm")["Dimensions"] = [{"Name": "FunctionName", "Value": {"Ref": "AdminApiFunction"}}]


def m_errors_alarm_silent(t):
    props(t, "FunctionErrorsAlarm")["AlarmActions"] = []


def m_ses_anywhere(t):
    stmt(t, "DeliverAlertRole", "SendEmail")["Resource"] = "*"


def m_admin_sends_email(t):
    add_statement(t, "AdminApiRole", {"Sid": "Mail", "Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"})


def m_members_page_opens_drafts(t):
    cond = stmt(t, "SubscriptionsRole", "AlertKeys")["Condition"]["StringEquals"]
    cond["kms:EncryptionContext:kind"] = ["alert", "published_alert"]


def _api_origin(t):
    return next(o for o in props(t, "SiteDistribution")["DistributionConfig"]["Origins"] if o["Id"] == "api")


def m_no_origin_header(t):
    del _api_origin(t)["OriginCustomHeaders"]


def m_origin_secret_typed_in(t):
    props(t, "SubscriptionsFunction")["Environment"]["Variables"]["ORIGIN_VERIFY_SECRET"] = "written-in-the-template"


def m_no_budget_alarm(t):
    del t["Resources"]["CodeBudgetSpentAlarm"]


def m_budget_alarm_silent(t):
    props(t, "CodeBudgetSpentAlarm")["AlarmActions"] = []


def m_budget_filter_pattern(t):
    props(t, "CodeBudgetSpentFilter")["FilterPattern"] = '{ $.fields.message = "code sent" }'


def m_argon2_blocks_kept_by_malloc(t):
    del props(t, "SubmitReportFunction")["Environment"]["Variables"]["MALLOC_MMAP_THRESHOLD_"]


def m_argon2_blocks_threshold_too_high(t):
    props(t, "SubscriptionsFunction")["Environment"]["Variables"]["MALLOC_MMAP_THRESHOLD_"] = "33554432"


def m_budget_not_configured(t):
    del props(t, "SubscriptionsFunction")["Environment"]["Variables"]["CODE_BUDGET_PER_DAY"]


def m_sanitiser_makes_audit_links(t):
    add_statement(t, "SanitiseReportRole", {
        "Sid": "AuditLinks", "Effect": "Allow", "Action": "kms:GenerateMac", "Resource": {"Fn::GetAtt": ["AuditKey", "Arn"]},
    })


def m_admin_verifies_audit_links(t):
    stmt(t, "AdminApiRole", "AuditLinks")["Action"] = ["kms:GenerateMac", "kms:VerifyMac"]


def m_audit_key_open_to_the_account(t):
    for s in props(t, "AuditKey")["KeyPolicy"]["Statement"]:
        if s.get("Sid") == "AppendByAdminApi":
            del s["Condition"]


def m_audit_key_for_the_subscriptions_role(t):
    for s in props(t, "AuditKey")["KeyPolicy"]["Statement"]:
        if s.get("Sid") == "CheckByAuditVerifier":
            s["Condition"]["ArnEquals"]["aws:PrincipalArn"] = {"Fn::Sub": "arn:aws:iam::1:role/${AWS::StackName}-subscriptions"}


def m_admin_erases_its_log(t):
    stmt(t, "AdminApiRole", "Logs")["Action"].append("logs:DeleteLogStream")


def m_verifier_writes_audit(t):
    stmt(t, "AuditVerifierRole", "ReadAudit")["Action"].append("dynamodb:PutItem")


def m_verifier_without_mfa(t):
    del props(t, "AuditVerifierRole")["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


MUTATIONS: list[tuple[Callable, Callable]] = [
    (R.rule_stream_sources, m_no_partial_batch),
    (R.rule_stream_sources, m_no_bisect),
    (R.rule_stream_sources, m_unbounded_retries),
    (R.rule_stream_sources, m_unbounded_record_age),
    (R.rule_stream_sources, m_no_on_failure),
    (R.rule_stream_sources, m_queue_without_alarm),
    (R.rule_stream_sources, m_latest_position),
    (R.rule_no_wildcard_actions, m_dynamodb_star),
    (R.rule_no_wildcard_actions, m_dynamodb_get_star),
    (R.rule_no_wildcard_actions, m_kms_star_in_key_policy),
    (R.rule_no_wildcard_actions, m_star_action),
    (R.rule_no_wildcard_actions, m_kms_generate_star),
    (R.rule_functions_own_their_roles, m_managed_policy),
    (R.rule_functions_own_their_roles, m_sam_policy_template),
    (R.rule_deliverer_cannot_read_reports, m_sam_policy_template),
    (R.rule_deliverer_cannot_read_reports, m_deliverer_reads_reports),
    (R.rule_deliverer_cannot_read_reports, m_deliverer_reads_reports_stream),
    (R.rule_deliverer_cannot_read_reports, m_deliverer_reads_reports_by_sub),
    (R.rule_deliverer_cannot_read_reports, m_deliverer_dynamodb_on_star),
    (R.rule_deliverer_cannot_read_reports, m_deliverer_told_reports_table),
    (R.rule_dynamodb_least_privilege, m_deliverer_reads_reports),
    (R.rule_dynamodb_least_privilege, m_deliverer_reads_reports_stream),
    (R.rule_dynamodb_least_privilege, m_sanitiser_updates_alerts),
    (R.rule_dynamodb_least_privilege, m_submit_reads),
    (R.rule_submit_only_writes_reports, m_submit_reads),
    (R.rule_submit_only_writes_reports, m_submit_writes_alerts),
    (R.rule_submit_only_writes_reports, m_submit_decrypts),
    (R.rule_kms_grants_bound_to_context, m_kms_without_context),
    (R.rule_kms_grants_bound_to_context, m_kms_wrong_context),
    (R.rule_kms_grants_bound_to_context, m_kms_only_table_context),
    (R.rule_kms_grants_bound_to_context, m_submit_decrypts),
    (R.rule_kms_grants_bound_to_context, m_deliverer_gets_mac),
    (R.rule_kms_grants_bound_to_context, m_key_policy_unbound),
    (R.rule_kms_grants_bound_to_context, m_members_page_opens_drafts),
    (R.rule_functions_built_and_logged, m_metadata_missing),
    (R.rule_functions_built_and_logged, m_metadata_in_globals),
    (R.rule_functions_built_and_logged, m_x86),
    (R.rule_functions_built_and_logged, m_old_runtime),
    (R.rule_functions_built_and_logged, m_log_forever),
    (R.rule_functions_built_and_logged, m_no_log_group),
    (R.rule_functions_built_and_logged, m_wrong_binary),
    (R.rule_functions_built_and_logged, m_extra_env),
    (R.rule_functions_built_and_logged, m_argon2_blocks_kept_by_malloc),
    (R.rule_functions_built_and_logged, m_argon2_blocks_threshold_too_high),
    (R.rule_functions_built_and_logged, m_deliverer_told_reports_table),
    (R.rule_tables_protected, m_no_pitr),
    (R.rule_tables_protected, m_no_deletion_protection),
    (R.rule_tables_protected, m_aws_owned_key),
    (R.rule_tables_protected, m_table_deletable),
    (R.rule_tables_protected, m_no_rotation),
    (R.rule_tables_protected, m_keys_only_stream),
    (R.rule_access_log_records_no_one, m_logs_ip),
    (R.rule_access_log_records_no_one, m_logs_user_agent),
    (R.rule_jwt_only_on_admin, m_admin_without_jwt),
    (R.rule_jwt_only_on_admin, m_public_with_jwt),
    (R.rule_jwt_only_on_admin, m_cors_any),
    (R.rule_jwt_only_on_admin, m_no_throttling),
    (R.rule_staff_sign_in, m_mfa_optional),
    (R.rule_staff_sign_in, m_self_sign_up),
    (R.rule_staff_sign_in, m_implicit_flow),
    (R.rule_staff_sign_in, m_callback_elsewhere),
    (R.rule_staff_sign_in, m_sign_out_elsewhere),
    (R.rule_staff_sign_in, m_missing_group),
    (R.rule_site_private, m_public_bucket),
    (R.rule_site_private, m_http_allowed),
    (R.rule_site_private, m_frames_allowed),
    (R.rule_site_private, m_cloudfront_logs),
    (R.rule_alarms, m_no_throttle_alarm),
    (R.rule_alarms, m_errors_alarm_on_one_function),
    (R.rule_alarms, m_errors_alarm_silent),
    (R.rule_email_sending_scoped, m_ses_anywhere),
    (R.rule_email_sending_scoped, m_admin_sends_email),
    (R.rule_viewer_address_only_through_cloudfront, m_no_origin_header),
    (R.rule_viewer_address_only_through_cloudfront, m_origin_secret_typed_in),
    (R.rule_code_budget_alarm, m_no_budget_alarm),
    (R.rule_code_budget_alarm, m_budget_alarm_silent),
    (R.rule_code_budget_alarm, m_budget_filter_pattern),
    (R.rule_code_budget_alarm, m_budget_not_configured),
    (R.rule_audit_chain_key, m_sanitiser_makes_audit_links),
    (R.rule_audit_chain_key, m_admin_verifies_audit_links),
    (R.rule_audit_chain_key, m_audit_key_open_to_the_account),
    (R.rule_audit_chain_key, m_audit_key_for_the_subscriptions_role),
    (R.rule_audit_chain_key, m_admin_erases_its_log),
    (R.rule_audit_chain_key, m_verifier_writes_audit),
    (R.rule_audit_chain_key, m_verifier_without_mfa),
]


@pytest.mark.parametrize(
    "rule,mutation", MUTATIONS, ids=[f"{r.__name__}-{m.__name__[2:]}" for r, m in MUTATIONS]
)
def test_the_rule_finds_a_template_that_breaks_it(template, rule, mutation):
    broken = copy.deepcopy(template)
    mutation(broken)
    found = rule(broken)
    assert found, f"{rule.__name__} did not notice {mutation.__name__}"


def test_every_rule_is_shown_to_fail_at_least_once():
    assert {r for r, _ in MUTATIONS} == set(R.ALL_RULES)


def test_mutations_leave_the_parsed_template_alone(template):
    # deepcopy really copies: the module-scoped template still keeps every rule after all the mutations above.
    for rule in R.ALL_RULES:
        assert rule(template) == [], rule.__name__
