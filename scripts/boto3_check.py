"""Talks to a running Sluice with boto3, as users of AWS would: a Sluice access key must work
exactly like an AWS key, and a wrong secret, a tampered body or a revoked key must fail with the
errors AWS uses. Environment: SLUICE_URL, SLUICE_KEY_ID, SLUICE_SECRET, SLUICE_REVOKED_KEY_ID,
SLUICE_REVOKED_SECRET. Prints one summary line; exits non-zero on any failure."""
import json
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

URL = os.environ["SLUICE_URL"]
results = []


def client(key_id, secret):
    return boto3.client(
        "codepipeline",
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def check(name, call, expected_error=None):
    try:
        call()
        error = None
    except ClientError as err:
        error = err.response["Error"]["Code"]
    ok = error == expected_error
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: expected {expected_error or 'success'}, got {error or 'success'}")


good = client(os.environ["SLUICE_KEY_ID"], os.environ["SLUICE_SECRET"])
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
check("wrong secret", lambda: client(os.environ["SLUICE_KEY_ID"], "x" * 40).list_pipelines(), "InvalidSignatureException")
check("unknown key", lambda: client("AKIAUNKNOWN000000000", "x" * 40).list_pipelines(), "UnrecognizedClientException")
check(
    "revoked key",
    lambda: client(os.environ["SLUICE_REVOKED_KEY_ID"], os.environ["SLUICE_REVOKED_SECRET"]).list_pipelines(),
    "UnrecognizedClientException",
)


def tamper(request, **_):
    # Runs after signing: the body no longer matches the signed hash.
    request.body = json.dumps({"name": "boto3-check-other"}).encode()
    request.headers["Content-Length"] = str(len(request.body))


tampering = client(os.environ["SLUICE_KEY_ID"], os.environ["SLUICE_SECRET"])
tampering.meta.events.register_last("before-send.codepipeline.GetPipeline", tamper)
check("tampered body", lambda: tampering.get_pipeline(name="boto3-check"), "InvalidSignatureException")

passed = sum(results)
print(f"boto3: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
