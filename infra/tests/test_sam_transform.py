"""What CloudFormation will actually get: the template after the SAM transform (aws-sam-translator, the library the
AWS::Serverless-2016-10-31 transform runs). SAM adds resources of its own (roles, policies, event source mappings,
permissions, the API stage); these tests check that it adds no permission and drops no setting."""

from __future__ import annotations

import copy
import json

import pytest
from samtranslator.translator.transform import transform

import rules as R

PARAMETERS = {
    "SesIdentity": "example.org.uk",
    "SesFromAddress": "alerts@example.org.uk",
    "OperatorEmail": "ops@example.org.uk",
}


class _NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs only when a function names one; ours name none."""

    def load(self):
        return {}

    def get(self, name):
        raise AssertionError(f"the template asked for the managed policy {name}")


def _transform(t: dict, monkeypatch) -> dict:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    t = copy.deepcopy(t)
    # sam build replaces each CodeUri with the built artifact; stand in for that here.
    for _, fn in R.resources(t, R.FUNCTION):
        fn["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    plain = json.loads(json.dumps(t))
    return transform(plain, {**PARAMETERS, "AWS::Region": "eu-west-2"}, _NoManagedPolicies())


@pytest.fixture(scope="module")
def cfn(request):
    mp = pytest.MonkeyPatch()
    request.addfinalizer(mp.undo)
    return _transform(R.load(), mp)


def _of_type(cfn, type_):
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == type_}


def test_the_transform_adds_no_role_and_no_policy(cfn):
    assert sorted(_of_type(cfn, "AWS::IAM::Role")) == [
        # The six functions' roles, and the audit verifier (a person's role, written out in the template).
        "AdminApiRole", "AuditVerifierRole", "DeliverAlertRole", "SanitiseReportRole", "SmsRepliesRole", "StaffNoticesRole",
        # The schedule's own role: it may invoke staff-notices and nothing else.
        "StaffNoticesScheduleRole", "SubmitReportRole", "SubscriptionsRole",
    ]
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        assert not _of_type(cfn, type_)
    assert "ManagedPolicyArns" not in json.dumps(cfn)
    assert "AWSLambdaDynamoDBExecutionRole" not in json.dumps(cfn)


def test_the_transformed_template_keeps_every_rule(cfn):
    # The rules that read resources CloudFormation sees directly (tables, keys, roles, alarms, site) hold after the
    # transform as before it.
    for rule in (R.rule_no_wildcard_actions, R.rule_tables_protected, R.rule_site_private, R.rule_stream_sources,
                 R.rule_access_log_records_no_one):
        assert rule(cfn) == [], rule.__name__


def test_each_lambda_runs_arm64_al2023_with_its_own_role_and_log_group(cfn):
    fns = _of_type(cfn, "AWS::Lambda::Function")
    assert len(fns) == 7
    for name, fn in fns.items():
        p = fn["Properties"]
        assert p["Architectures"] == ["arm64"], name
        assert p["Runtime"] == "provided.al2023", name
        assert p["Handler"] == "bootstrap", name
        assert p["Role"] == {"Fn::GetAtt": [name.replace("Function", "Role"), "Arn"]}, name
        assert p["LoggingConfig"]["LogGroup"] == {"Ref": name.replace("Function", "Logs")}, name


def test_sms_replies_are_subscribed_to_the_replies_topic_which_only_sms_voice_of_this_account_may_publish_to(cfn):
    subs = [s["Properties"] for s in _of_type(cfn, "AWS::SNS::Subscription").values() if s["Properties"]["Protocol"] == "lambda"]
    assert subs == [{"Protocol": "lambda", "TopicArn": {"Ref": "SmsRepliesTopic"}, "Endpoint": {"Fn::GetAtt": ["SmsRepliesFunction", "Arn"]}}]
    policy = cfn["Resources"]["SmsRepliesTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"], s["Condition"]) for s in policy] == [
        ({"Service": "sms-voice.amazonaws.com"}, "sns:Publish", {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}})
    ]


def test_four_stream_mappings_each_with_its_failure_queue(cfn):
    esms = _of_type(cfn, "AWS::Lambda::EventSourceMapping")
    # The reports stream has two readers (drafting, and telling staff), no more.
    sources = {(json.dumps(e["Properties"]["EventSourceArn"]), json.dumps(e["Properties"]["FunctionName"])): e["Properties"] for e in esms.values()}
    assert len(esms) == 4
    for table, queue, fn in [
        ("ReportsTable", "ReportsStreamFailures", "SanitiseReportFunction"),
        ("ReportsTable", "StaffNoticesStreamFailures", "StaffNoticesFunction"),
        ("AlertsTable", "AlertsStreamFailures", "DeliverAlertFunction"),
        ("SubscribersTable", "SubscribersStreamFailures", "DeliverAlertFunction"),
    ]:
        p = sources[(json.dumps({"Fn::GetAtt": [table, "StreamArn"]}), json.dumps({"Ref": fn}))]
        assert p["FunctionName"] == {"Ref": fn}
        assert p["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_schedule_invokes_staff_notices_every_minute_with_a_role_that_may_invoke_only_it(cfn):
    schedules = _of_type(cfn, "AWS::Scheduler::Schedule")
    assert sorted(schedules) == ["RetentionSchedule", "StaffNoticesSchedule"]
    for name, rate, task in [("StaffNoticesSchedule", "rate(1 minute)", "staff-notices"), ("RetentionSchedule", "rate(1 hour)", "retention")]:
        p = schedules[name]["Properties"]
        assert p["ScheduleExpression"] == rate
        assert json.loads(p["Target"]["Input"]) == {"schedule": task}
        assert p["Target"]["Arn"] == {"Fn::GetAtt": ["StaffNoticesFunction", "Arn"]}
        assert p["Target"]["RoleArn"] == {"Fn::GetAtt": ["StaffNoticesScheduleRole", "Arn"]}
    role = cfn["Resources"]["StaffNoticesScheduleRole"]["Properties"]
    statements = [s for pol in role["Policies"] for s in pol["PolicyDocument"]["Statement"]]
    assert [(s["Action"], s["Resource"]) for s in statements] == [("lambda:InvokeFunction", {"Fn::GetAtt": ["StaffNoticesFunction", "Arn"]})]


def test_the_api_has_exactly_the_contract_routes_and_jwt_only_on_admin(cfn):
    body = cfn["Resources"]["HttpApi"]["Properties"]["Body"]
    routes = {}
    for path, item in body["paths"].items():
        for method, op in item.items():
            routes[(method.replace("x-amazon-apigateway-any-method", "any"), path)] = op.get("security")
    assert routes == {
        ("post", "/reports"): None,
        ("get", "/report"): None,
        ("get", "/join"): None,
        ("get", "/verify"): None,
        ("get", "/prefs"): None,
        ("get", "/subscriptions"): None,
        ("get", "/members"): None,
        ("get", "/members/alerts"): None,
        ("get", "/members/check"): None,
        ("post", "/members/check"): None,
        ("get", "/members/sign-in"): None,
        ("post", "/members/sign-in"): None,
        ("post", "/members/sign-in/verify"): None,
        ("get", "/members/settings"): None,
        ("post", "/members/settings"): None,
        ("post", "/members/sign-out"): None,
        ("post", "/members/leave"): None,
        ("post", "/subscriptions"): None,
        ("post", "/subscriptions/verify"): None,
        ("get", "/unsubscribe"): None,
        ("post", "/unsubscribe"): None,
        ("get", "/stop/{token}"): None,
        ("post", "/stop/{token}"): None,
        ("get", "/alerts/{alert_id}"): None,
        ("get", "/follow-up"): None,
        ("post", "/follow-up"): None,
        ("post", "/follow-up/messages"): None,
        ("post", "/follow-up/consent"): None,
        ("any", "/admin/{proxy+}"): [{"StaffJwt": []}],
        # The staff console: its own sign-in (Cognito's managed login and a server-side session), no authorizer.
        ("get", "/staff"): None,
        ("any", "/staff/{proxy+}"): None,
    }
    jwt = body["components"]["securitySchemes"]["StaffJwt"]["x-amazon-apigateway-authorizer"]
    assert jwt["type"] == "jwt"
    assert jwt["jwtConfiguration"]["audience"] == [{"Ref": "StaffConsoleClient"}]


def test_without_a_custom_domain_there_is_no_cors_and_with_one_only_that_origin(cfn, monkeypatch):
    cors = cfn["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
    assert cors["Fn::If"][0] == "UseCustomDomain"
    assert cors["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    monkeypatch.setitem(PARAMETERS, "SiteDomain", "alerts.example.org.uk")
    with_domain = _transform(R.load(), monkeypatch)
    cors = with_domain["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
    assert cors["Fn::If"][1]["allowOrigins"] == [{"Fn::Sub": "https://alerts.example.org.uk"}]


def test_the_stage_throttles_and_logs_no_one(cfn):
    stage = cfn["Resources"]["HttpApiApiGatewayDefaultStage"]["Properties"]
    assert set(stage["DefaultRouteSettings"]) >= {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    fmt = stage["AccessLogSettings"]["Format"].lower()
    assert "sourceip" not in fmt and "useragent" not in fmt
