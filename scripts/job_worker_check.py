"""Runs the reference job worker (examples/job_worker.py) against a running Sluice with boto3:
it declares custom action types, creates a pipeline of them, and works its jobs: a source, a
build that continues once and completes with an output variable, and an action that reads it,
fails once and succeeds when its stage is retried. Environment: SLUICE_URL, SLUICE_KEY_ID,
SLUICE_SECRET. Prints one line per check; exits non-zero on any failure."""
import os
import sys
import time
import uuid

import boto3
import botocore.config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from job_worker import work_once  # noqa: E402

client = boto3.client(
    "codepipeline",
    endpoint_url=os.environ["SLUICE_URL"],
    region_name="us-east-1",
    aws_access_key_id=os.environ["SLUICE_KEY_ID"],
    aws_secret_access_key=os.environ["SLUICE_SECRET"],
    config=botocore.config.Config(retries={"max_attempts": 1}),
)
results = []
suffix = uuid.uuid4().hex[:6]
ORIGIN = {"category": "Source", "owner": "Custom", "provider": f"Origin{suffix}", "version": "1"}
WORKER = {"category": "Build", "owner": "Custom", "provider": f"Worker{suffix}", "version": "1"}


def report(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


def work_until_one(action_type, handle, query=None, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if work_once(client, action_type, handle, query):
            return True
        time.sleep(0.2)
    return False


def final_status(execution_id, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status = client.get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id)[
            "pipelineExecution"]["status"]
        if status not in ("InProgress", "Stopping"):
            return status
        time.sleep(0.2)
    return "still running"


def declare(action_type, properties, outputs):
    counts = lambda high: {"minimumCount": 0, "maximumCount": high}  # noqa: E731
    client.create_custom_action_type(
        category=action_type["category"], provider=action_type["provider"], version="1",
        configurationProperties=properties, inputArtifactDetails=counts(0), outputArtifactDetails=counts(outputs),
        settings={"executionUrlTemplate": "https://ci.example/{ExternalExecutionId}"},
    )


declare(ORIGIN, [], 1)
declare(WORKER, [
    {"name": "Queue", "required": True, "key": True, "secret": False, "queryable": True},
    {"name": "Message", "required": False, "key": False, "secret": False},
], 0)
listed = client.list_action_types(actionOwnerFilter="Custom")["actionTypes"]
report("ListActionTypes lists the custom types", {t["id"]["provider"] for t in listed} >= {ORIGIN["provider"], WORKER["provider"]})

PIPELINE = f"workers-{suffix}"
worker = lambda name, order, configuration: {  # noqa: E731
    "name": name, "runOrder": order, "namespace": f"{name}Vars", "actionTypeId": WORKER, "configuration": configuration}
client.create_pipeline(pipeline={
    "name": PIPELINE,
    "roleArn": "arn:aws:iam::000000000000:role/pipeline",
    "artifactStore": {"type": "S3", "location": "artifacts"},
    "stages": [
        {"name": "Source", "actions": [{"name": "Origin", "actionTypeId": ORIGIN}]},
        {"name": "Build", "actions": [
            worker("Job", 1, {"Queue": "q1"}),
            worker("Echo", 2, {"Queue": "q2", "Message": "#{JobVars.Result}"}),
        ]},
    ],
})
seen = {}


def source(data):
    seen["execution"] = data["pipelineContext"]["pipelineExecutionId"]
    return {"currentRevision": {"revision": "abc123", "changeIdentifier": "abc123"}}


def build(data):
    if "continuationToken" not in data:
        return {"continuationToken": "page-2",
                "executionDetails": {"summary": "half way", "externalExecutionId": "run-7", "percentComplete": 50}}
    seen["continued"] = data["continuationToken"]
    return {"outputVariables": {"Result": "42"}}


def echo_fails_once(data):
    seen.setdefault("echoes", []).append(data["actionConfiguration"]["configuration"].get("Message"))
    if len(seen["echoes"]) == 1:
        raise RuntimeError("flaky the first time")
    return {}


report("the source job is worked", work_until_one(ORIGIN, source))
report("the build job is worked", work_until_one(WORKER, build, {"Queue": "q1"}))
state = client.get_pipeline_state(name=PIPELINE)["stageStates"][1]["actionStates"][0]["latestExecution"]
report("progress is shown", state.get("percentComplete") == 50 and state.get("externalExecutionUrl") == "https://ci.example/run-7", str(state))
report("the continuation comes back as a job", work_until_one(WORKER, build, {"Queue": "q1"}) and seen.get("continued") == "page-2")
report("the next action reads the output variable", work_until_one(WORKER, echo_fails_once, {"Queue": "q2"}) and seen["echoes"] == ["42"])
report("its failure fails the execution", final_status(seen["execution"]) == "Failed")
client.retry_stage_execution(pipelineName=PIPELINE, stageName="Build", pipelineExecutionId=seen["execution"], retryMode="FAILED_ACTIONS")
report("the retried action is worked", work_until_one(WORKER, echo_fails_once, {"Queue": "q2"}))
report("the execution succeeds on retry", final_status(seen["execution"]) == "Succeeded")
try:
    client.acknowledge_job(jobId=str(uuid.uuid4()), nonce="1")
    report("an unknown job is refused", False)
except ClientError as err:
    report("an unknown job is refused", err.response["Error"]["Code"] == "JobNotFoundException")

print(f"job workers: {sum(results)} of {len(results)} checks passed")
sys.exit(0 if all(results) else 1)
