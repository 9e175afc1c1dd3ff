"""What the client check scripts share: a boto3 client for the running Sluice, the outcome of a
call (its result, or the AWS error code it raised), one line per check, and the exit status."""
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

URL = os.environ["SLUICE_URL"]
KEY_ID, SECRET = os.environ["SLUICE_KEY_ID"], os.environ["SLUICE_SECRET"]
_results = []


def client(service, key_id=KEY_ID, secret=SECRET, **config):
    """A client of `service` on Sluice's endpoint, with the check's key (or the one given), no
    retries and any other botocore `config`."""
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}, **config),
    )


def outcome(call):
    """The call's result, or the error code AWS's wire format carried back."""
    try:
        return call()
    except ClientError as err:
        return err.response["Error"]["Code"]


def check(name, got, expected):
    ok = got == expected
    _results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: expected {expected!r}, got {got!r}")


def finish(what):
    """Prints the summary and exits non-zero if any check failed."""
    print(f"{sum(_results)}/{len(_results)} {what} checks passed")
    sys.exit(0 if all(_results) else 1)
