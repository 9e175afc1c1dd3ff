"""A job worker for a CodePipeline custom action, with boto3 only, as AWS's job-worker
documentation describes one: poll for jobs of one action type (optionally only those whose
queryable property has a value), acknowledge each with its nonce, do the work, and report success
(with a continuation token to be called again later, or with output variables) or failure.

It works against AWS or against Sluice (`--endpoint-url`). Run it as

    python3 examples/job_worker.py --endpoint-url http://localhost:3000 \
        --category Build --provider MyWorker --query Queue=main

with AWS credentials in the environment (a Sluice access key for Sluice). The example handler
echoes the action's `Message` configuration as the output variable `Echo`; write your own
`handle(data) -> dict` and pass it to `work_once`.
"""
import argparse
import time

import boto3


def work_once(client, action_type, handle, query=None):
    """Polls once and works every job handed out; returns how many it worked.

    `handle(data)` gets the job's data and returns the keyword arguments of
    PutJobSuccessResult (for example {"outputVariables": {...}} or {"continuationToken": "..."});
    an exception it raises is reported with PutJobFailureResult."""
    request = {"actionTypeId": action_type, "maxBatchSize": 1}
    if query:
        request["queryParam"] = query
    jobs = client.poll_for_jobs(**request)["jobs"]
    for job in jobs:
        status = client.acknowledge_job(jobId=job["id"], nonce=job["nonce"])["status"]
        if status != "InProgress":
            continue  # Another worker has it, or it is over.
        try:
            result = handle(job["data"])
        except Exception as err:  # The worker's own failure is the job's failure.
            details = {"type": "JobFailed", "message": str(err)[:5000] or type(err).__name__}
            client.put_job_failure_result(jobId=job["id"], failureDetails=details)
            continue
        client.put_job_success_result(jobId=job["id"], **(result or {}))
    return len(jobs)


def echo(data):
    configuration = data["actionConfiguration"]["configuration"]
    return {"outputVariables": {"Echo": configuration.get("Message", "")}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--category", required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--version", default="1")
    parser.add_argument("--query", help="Property=value of the type's queryable property")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between empty polls")
    args = parser.parse_args()
    client = boto3.client("codepipeline", endpoint_url=args.endpoint_url, region_name=args.region)
    action_type = {"category": args.category, "owner": "Custom", "provider": args.provider, "version": args.version}
    query = dict([args.query.split("=", 1)]) if args.query else None
    while True:
        if not work_once(client, action_type, echo, query):
            time.sleep(args.interval)


if __name__ == "__main__":
    main()
