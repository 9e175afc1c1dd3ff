"""Talks to a running Sluice with boto3, as users of AWS would: a Sluice access key must work
exactly like an AWS key (for CodePipeline, EventBridge, SNS and CodeBuild alike), and a wrong secret, a tampered body or a revoked key must fail with the
errors AWS uses. Environment: SLUICE_URL, SLUICE_KEY_ID, SLUICE_SECRET, SLUICE_REVOKED_KEY_ID,
SLUICE_REVOKED_SECRET. Prints one summary line; exits non-zero on any failure."""
import json
import os
import sys
import time

import botocore
from botocore.exceptions import ClientError

from sdk_checks import KEY_ID, client

results = []


def check(name, call, expected_error=None):
    try:
        call()
        error = None
    except ClientError as err:
        error = err.response["Error"]["Code"]
    ok = error == expected_error
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: expected {expected_error or 'success'}, got {error or 'success'}")


def check_value(name, call, expected):
    try:
        got = call()
    except ClientError as err:
        got = err.response["Error"]["Code"]
    ok = got == expected
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: expected {expected!r}, got {got!r}")


good = client("codepipeline")
pipeline = {
    "name": "boto3-check",
    "roleArn": "arn:aws:iam::000000000000:role/pipeline",
    "artifactStore": {"type": "S3", "location": "artifacts"},
    "stages": [
        {"name": "Source", "actions": [{
            "name": "Source",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"S3Bucket": "sources", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false"},
            "outputArtifacts": [{"name": "Src"}],
        }]},
        {"name": "Approve", "actions": [{
            "name": "Gate",
            "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        }]},
    ],
}
check("list pipelines", lambda: good.list_pipelines())
check("create pipeline", lambda: good.create_pipeline(pipeline=pipeline))
check("get pipeline", lambda: good.get_pipeline(name="boto3-check"))
check("missing pipeline", lambda: good.get_pipeline(name="nope"), "PipelineNotFoundException")
check("wrong secret", lambda: client("codepipeline", KEY_ID, "x" * 40).list_pipelines(), "InvalidSignatureException")
check("unknown key", lambda: client("codepipeline", "AKIAUNKNOWN000000000", "x" * 40).list_pipelines(), "UnrecognizedClientException")
check(
    "revoked key",
    lambda: client("codepipeline", os.environ["SLUICE_REVOKED_KEY_ID"], os.environ["SLUICE_REVOKED_SECRET"]).list_pipelines(),
    "UnrecognizedClientException",
)


def tamper(request, **_):
    # Runs after signing: the body no longer matches the signed hash.
    request.body = json.dumps({"name": "boto3-check-other"}).encode()
    request.headers["Content-Length"] = str(len(request.body))


tampering = client("codepipeline")
tampering.meta.events.register_last("before-send.codepipeline.GetPipeline", tamper)
check("tampered body", lambda: tampering.get_pipeline(name="boto3-check"), "InvalidSignatureException")

# EventBridge on the same endpoint: the same key, signed for `events`.
events = client("events")
failed_stage = json.dumps({
    "version": "0", "id": "1", "detail-type": "CodePipeline Stage Execution State Change",
    "source": "aws.codepipeline", "account": "000000000000", "time": "2026-12-02T18:00:00Z",
    "region": "us-east-1", "resources": ["arn:aws:codepipeline:us-east-1:000000000000:web"],
    "detail": {"pipeline": "web", "stage": "Build", "state": "FAILED"},
})


def test_pattern(pattern, event=failed_stage):
    return events.test_event_pattern(EventPattern=json.dumps(pattern), Event=event)["Result"]


check_value(
    "event pattern matches a failed stage",
    lambda: test_pattern({"source": ["aws.codepipeline"], "detail": {"state": ["FAILED", "CANCELED"]}}),
    True,
)
check_value("event pattern refuses a succeeded one", lambda: test_pattern({"detail": {"state": ["SUCCEEDED"]}}), False)
check_value(
    "anything-but and prefix",
    lambda: test_pattern({"detail": {"stage": [{"anything-but": {"prefix": "Deploy"}}]}}),
    True,
)
check("invalid event pattern", lambda: test_pattern({"detail": {"state": "FAILED"}}), "InvalidEventPatternException")
check("event without its fields", lambda: test_pattern({"source": ["x"]}, event="{}"), "ValidationException")
# Rules and their targets.
failures = json.dumps({"source": ["aws.codepipeline"], "detail": {"state": ["FAILED"]}})
topic = "arn:aws:sns:us-east-1:000000000000:pipeline-failures"
check_value(
    "put rule",
    lambda: events.put_rule(Name="pipeline-failures", EventPattern=failures, Description="Tell us")["RuleArn"],
    "arn:aws:events:us-east-1:000000000000:rule/pipeline-failures",
)
check("put rule with a bad pattern", lambda: events.put_rule(Name="bad", EventPattern="{}"), "InvalidEventPatternException")
check("put rule on another bus", lambda: events.put_rule(Name="x", EventPattern=failures, EventBusName="other"),
      "ResourceNotFoundException")
check_value("describe rule", lambda: events.describe_rule(Name="pipeline-failures")["State"], "ENABLED")
check("describe a missing rule", lambda: events.describe_rule(Name="nope"), "ResourceNotFoundException")
check_value("disable rule", lambda: events.disable_rule(Name="pipeline-failures")
            and events.describe_rule(Name="pipeline-failures")["State"], "DISABLED")
check_value("list rules by prefix", lambda: [r["Name"] for r in events.list_rules(NamePrefix="pipeline-")["Rules"]],
            ["pipeline-failures"])
check_value("put targets", lambda: events.put_targets(Rule="pipeline-failures", Targets=[
    {"Id": "topic", "Arn": topic},
    {"Id": "summary", "Arn": topic, "InputTransformer": {
        "InputPathsMap": {"p": "$.detail.pipeline"}, "InputTemplate": '"<p> failed"'}},
])["FailedEntryCount"], 0)
check_value("list targets", lambda: sorted(t["Id"] for t in events.list_targets_by_rule(Rule="pipeline-failures")["Targets"]),
            ["summary", "topic"])
check("six targets", lambda: events.put_targets(Rule="pipeline-failures", Targets=[
    {"Id": f"t{i}", "Arn": topic} for i in range(5)]), "LimitExceededException")
check("a webhook that is not http(s)", lambda: events.put_targets(Rule="pipeline-failures", Targets=[
    {"Id": "ftp", "Arn": "arn:aws:events:us-east-1:000000000000:api-destination/ftp://files.example.com/x"}]),
    "ValidationException")
check("a target Sluice cannot deliver to", lambda: events.put_targets(Rule="pipeline-failures", Targets=[
    {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:f"}]), "ValidationException")
check("delete a rule with targets", lambda: events.delete_rule(Name="pipeline-failures"), "ValidationException")
check("remove targets", lambda: events.remove_targets(Rule="pipeline-failures", Ids=["topic", "summary"]))
check("delete rule", lambda: events.delete_rule(Name="pipeline-failures"))
check_value("rule gone", lambda: events.list_rules()["Rules"], [])

# Topics: SNS's Query protocol (form-encoded, XML answers).
sns = client("sns")
releases = "arn:aws:sns:us-east-1:000000000000:releases"
check_value("create topic", lambda: sns.create_topic(Name="releases")["TopicArn"], releases)
check_value("list topics", lambda: [t["TopicArn"] for t in sns.list_topics()["Topics"]], [releases])
check_value("subscribe by e-mail", lambda: sns.subscribe(
    TopicArn=releases, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"], "pending confirmation")
check_value("list subscriptions", lambda: [(s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in
            sns.list_subscriptions_by_topic(TopicArn=releases)["Subscriptions"]],
            [("email", "ops@example.com", "PendingConfirmation")])
check_value("topic attributes", lambda: sns.get_topic_attributes(TopicArn=releases)["Attributes"]["SubscriptionsPending"],
            "1")
check("confirm with a wrong token", lambda: sns.confirm_subscription(TopicArn=releases, Token="nope"),
      "InvalidParameter")
check("subscribe by sms", lambda: sns.subscribe(TopicArn=releases, Protocol="sms", Endpoint="+15555550100"),
      "InvalidParameter")
check_value("publish", lambda: len(sns.publish(TopicArn=releases, Subject="Hello", Message="Released")["MessageId"]), 36)
check("publish to a missing topic", lambda: sns.publish(TopicArn=releases + "-x", Message="m"), "NotFound")
check("sns with a wrong secret", lambda: client("sns", KEY_ID, "x" * 40).list_topics(),
      "SignatureDoesNotMatch")
check("delete topic", lambda: sns.delete_topic(TopicArn=releases))
check_value("topic gone", lambda: sns.list_topics()["Topics"], [])

# CodeBuild build projects, signed for `codebuild`.
codebuild = client("codebuild")
web_project = {
    "name": "web",
    "source": {"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands: [make]\n"},
    "artifacts": {"type": "CODEPIPELINE"},
    "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                    "computeType": "BUILD_GENERAL1_SMALL",
                    "environmentVariables": [{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"}]},
    "serviceRole": "arn:aws:iam::000000000000:role/codebuild",
}
check_value("create project", lambda: codebuild.create_project(**web_project)["project"]["arn"],
            "arn:aws:codebuild:us-east-1:000000000000:project/web")
check("create it again", lambda: codebuild.create_project(**web_project), "ResourceAlreadyExistsException")
check("a bad timeout", lambda: codebuild.create_project(**{**web_project, "name": "x2", "timeoutInMinutes": 9000}),
      "InvalidInputException")
check_value("update project", lambda: codebuild.update_project(name="web", timeoutInMinutes=15)["project"]
            ["timeoutInMinutes"], 15)
check("update a missing project", lambda: codebuild.update_project(name="nope", timeoutInMinutes=15),
      "ResourceNotFoundException")
check_value("batch get projects", lambda: (
    [(p["name"], p["environment"]["environmentVariables"][0]["value"]) for p in
     codebuild.batch_get_projects(names=["web", "nope"])["projects"]],
    codebuild.batch_get_projects(names=["web", "nope"])["projectsNotFound"]), ([("web", "prod")], ["nope"]))
check_value("list projects", lambda: codebuild.list_projects(sortBy="NAME")["projects"], ["web"])
check("an operation Sluice does not answer", lambda: codebuild.list_source_credentials(), "UnknownOperationException")
check("delete project", lambda: codebuild.delete_project(name="web"))
check_value("project gone", lambda: codebuild.list_projects()["projects"], [])

# CodeBuild builds without a pipeline: started, read, listed, stopped, retried and deleted.
hello = {**web_project, "name": "hello", "artifacts": {"type": "NO_ARTIFACTS"}, "source": {
    "type": "NO_SOURCE",
    "buildspec": "version: 0.2\nenv:\n  exported-variables: [OUT]\nphases:\n  build:\n    commands:\n"
                 "      - OUT=\"$WHO-$CODEBUILD_BUILD_NUMBER\"\n"}}
check("create a NO_SOURCE project", lambda: codebuild.create_project(**hello))


def finished_build(build_id):
    for _ in range(300):
        build = codebuild.batch_get_builds(ids=[build_id])["builds"][0]
        if build["buildComplete"]:
            return build
        time.sleep(0.1)
    return build


first = codebuild.start_build(projectName="hello", idempotencyToken="boto-1",
                              environmentVariablesOverride=[{"name": "WHO", "value": "boto", "type": "PLAINTEXT"}])["build"]
check_value("start build", lambda: (first["buildNumber"], first["buildStatus"]), (1, "IN_PROGRESS"))
check_value("the same idempotency token", lambda: codebuild.start_build(projectName="hello", idempotencyToken="boto-1")
            ["build"]["id"], first["id"])
check_value("the build succeeds and exports", lambda: (lambda b: (b["buildStatus"], b["exportedEnvironmentVariables"]))(
    finished_build(first["id"])), ("SUCCEEDED", [{"name": "OUT", "value": "boto-1"}]))
check_value("builds not found", lambda: codebuild.batch_get_builds(ids=["hello:nope"])["buildsNotFound"], ["hello:nope"])
slow = codebuild.start_build(projectName="hello", buildspecOverride="version: 0.2\nphases:\n  build:\n    commands:\n"
                             "      - sleep 60\n")["build"]
check("stop build", lambda: codebuild.stop_build(id=slow["id"]))
check_value("the stopped build", lambda: finished_build(slow["id"])["buildStatus"], "STOPPED")
check("stop it again", lambda: codebuild.stop_build(id=slow["id"]), "InvalidInputException")
check_value("retry build", lambda: finished_build(codebuild.retry_build(id=first["id"])["build"]["id"])
            ["exportedEnvironmentVariables"], [{"name": "OUT", "value": "boto-3"}])
check_value("list builds for project", lambda: len(codebuild.list_builds_for_project(
    projectName="hello", sortOrder="ASCENDING")["ids"]), 3)
check_value("list builds", lambda: codebuild.list_builds(sortOrder="ASCENDING")["ids"][0], first["id"])
check("builds of a missing project", lambda: codebuild.list_builds_for_project(projectName="nope"),
      "ResourceNotFoundException")
check("a secret override", lambda: codebuild.start_build(projectName="hello", environmentVariablesOverride=[
    {"name": "S", "value": "ci/db", "type": "SECRETS_MANAGER"}]), "InvalidInputException")
check("a CODEPIPELINE project", lambda: (codebuild.create_project(**{**web_project, "name": "piped"}),
                                         codebuild.start_build(projectName="piped")), "InvalidInputException")
check_value("delete builds", lambda: codebuild.batch_delete_builds(ids=[first["id"]])["buildsDeleted"], [first["id"]])

# Every operation in botocore's model of CodePipeline is answered: sent with an empty input
# (client-side validation off), each gets a result or an error of its own, never
# UnknownOperationException.
unchecked = client("codepipeline", parameter_validation=False)
operations = unchecked.meta.service_model.operation_names
unanswered = []
for operation in operations:
    try:
        getattr(unchecked, botocore.xform_name(operation))()
    except ClientError as err:
        if err.response["Error"]["Code"] == "UnknownOperationException":
            unanswered.append(operation)
check_value(f"all {len(operations)} CodePipeline operations are answered", lambda: unanswered, [])

passed = sum(results)
print(f"boto3: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
