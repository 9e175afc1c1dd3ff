"""boto3 and the stock aws CLI against Sluice's S3 API, path-style: objects put, read (whole, by
version, by range), listed (prefix, delimiter, pages), deleted; `aws s3 cp` up and down and
`aws s3 ls`; and the errors S3 answers with. Needs SLUICE_URL, SLUICE_KEY_ID and SLUICE_SECRET
(an Editor's key), and S3_CHECK_BUCKET (default s3-check)."""
import hashlib
import os
import subprocess
import tempfile

from sdk_checks import KEY_ID, SECRET, URL, check, client, finish, outcome

BUCKET = os.environ.get("S3_CHECK_BUCKET", "s3-check")
s3 = client("s3", s3={"addressing_style": "path"})


def put(key, body):
    return s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def read(key, **extra):
    return s3.get_object(Bucket=BUCKET, Key=key, **extra)["Body"].read()


def keys(**listing):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, **listing).get("Contents", [])]


def boto3_checks():
    first = put("site/index.html", b"<h1>v1</h1>")
    check("put_object version id", len(first["VersionId"]), 32)
    check("put_object ETag", first["ETag"], '"%s"' % hashlib.md5(b"<h1>v1</h1>").hexdigest())
    second = put("site/index.html", b"<h1>v2</h1>")
    for key in ["site/css/app.css", "site/js/app.js", "top.txt", "odd key+&=.txt"]:
        put(key, key.encode())
    check("get_object", read("site/index.html"), b"<h1>v2</h1>")
    check("get_object versionId", read("site/index.html", VersionId=first["VersionId"]), b"<h1>v1</h1>")
    check("get_object Range", read("site/index.html", Range="bytes=4-5"), b"v2")
    check("a key with spaces, + and &", read("odd key+&=.txt"), b"odd key+&=.txt")
    head = s3.head_object(Bucket=BUCKET, Key="site/index.html")
    check("head_object", (head["ContentLength"], head["VersionId"], head["ETag"]),
          (11, second["VersionId"], second["ETag"]))
    check("head_object Last-Modified", head["LastModified"].year >= 2024, True)

    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="site/", Delimiter="/")
    check("list_objects_v2 prefix+delimiter Contents", [o["Key"] for o in listed["Contents"]], ["site/index.html"])
    check("list_objects_v2 CommonPrefixes", [p["Prefix"] for p in listed["CommonPrefixes"]], ["site/css/", "site/js/"])
    check("list_objects_v2 Size", listed["Contents"][0]["Size"], 11)
    everything = ["odd key+&=.txt", "site/css/app.css", "site/index.html", "site/js/app.js", "top.txt"]
    check("list_objects_v2 all keys in byte order", keys(), everything)
    page = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=2)
    check("list_objects_v2 MaxKeys", (page["KeyCount"], page["IsTruncated"]), (2, True))
    paged = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig={"PageSize": 2})
             for o in p.get("Contents", [])]
    check("list_objects_v2 continuation tokens", paged, everything)
    rolled = [p["Prefix"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Delimiter="/", PaginationConfig={"PageSize": 1}) for p in page.get("CommonPrefixes", [])]
    check("CommonPrefixes across pages", rolled, ["site/"])
    check("list_objects (V1) with a prefix", [o["Key"] for o in s3.list_objects(Bucket=BUCKET, Prefix="site/j")["Contents"]],
          ["site/js/app.js"])
    check("list_buckets", BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]], True)

    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="site/index")["Versions"]
    check("list_object_versions", [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions],
          [("site/index.html", second["VersionId"], True), ("site/index.html", first["VersionId"], False)])
    paged = [(v["Key"], v["IsLatest"]) for p in s3.get_paginator("list_object_versions").paginate(
        Bucket=BUCKET, PaginationConfig={"PageSize": 1}) for v in p.get("Versions", [])]
    check("list_object_versions in pages", paged[:4], [("odd key+&=.txt", True), ("site/css/app.css", True),
                                                      ("site/index.html", True), ("site/index.html", False)])
    s3.delete_object(Bucket=BUCKET, Key="site/index.html", VersionId=first["VersionId"])
    check("delete_object versionId removes that version",
          outcome(lambda: read("site/index.html", VersionId=first["VersionId"])), "NoSuchVersion")
    check("the other version stays", read("site/index.html"), b"<h1>v2</h1>")
    s3.delete_object(Bucket=BUCKET, Key="top.txt")
    check("delete_object", outcome(lambda: read("top.txt")), "NoSuchKey")
    check("a deleted key is not listed", "top.txt" in keys(), False)

    check("get_object of a missing key", outcome(lambda: read("nothing/here")), "NoSuchKey")
    check("head_object of a missing key", outcome(lambda: s3.head_object(Bucket=BUCKET, Key="nothing")), "404")
    wrong = client("s3", secret="not-the-secret", s3={"addressing_style": "path"})
    check("a wrong secret", outcome(lambda: wrong.get_object(Bucket=BUCKET, Key="site/index.html")),
          "SignatureDoesNotMatch")
    nobody = client("s3", key_id="AKIANOBODY0000000000", s3={"addressing_style": "path"})
    check("an unknown key", outcome(lambda: nobody.list_objects_v2(Bucket=BUCKET)), "InvalidAccessKeyId")
    check("copy_object is refused as not implemented",
          outcome(lambda: s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/site/js/app.js")),
          "NotImplemented")


def aws(*args, binary=False):
    """The stock aws CLI on Sluice's endpoint; its stdout (bytes when `binary`), failing loudly."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    done = subprocess.run(["aws", "--endpoint-url", URL, *args], env=env, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"aws {' '.join(args)} failed ({done.returncode}): {done.stderr.decode()}")
    return done.stdout if binary else done.stdout.decode()


def cli_checks():
    with tempfile.TemporaryDirectory() as scratch:
        # Binary and larger than one read buffer, smaller than the CLI's multipart threshold (8 MB).
        data = bytes(i * 7 % 251 for i in range(3 * 1024 * 1024 + 17))
        up = os.path.join(scratch, "bundle.bin")
        with open(up, "wb") as f:
            f.write(data)
        aws("s3", "cp", up, f"s3://{BUCKET}/cli/bundle.bin")
        check("aws s3 cp up, read back by boto3", read("cli/bundle.bin") == data, True)
        check("aws s3 cp down to stdout", aws("s3", "cp", f"s3://{BUCKET}/cli/bundle.bin", "-", binary=True) == data, True)
        down = os.path.join(scratch, "down.bin")
        aws("s3", "cp", f"s3://{BUCKET}/cli/bundle.bin", down)
        with open(down, "rb") as f:
            check("aws s3 cp down to a file", f.read() == data, True)
        listing = aws("s3", "ls", f"s3://{BUCKET}/site/").splitlines()
        check("aws s3 ls prefixes", sorted(line.strip() for line in listing if "PRE" in line), ["PRE css/", "PRE js/"])
        check("aws s3 ls objects", [line.split()[-1] for line in listing if "PRE" not in line], ["index.html"])
        recursive = aws("s3", "ls", f"s3://{BUCKET}/", "--recursive").splitlines()
        check("aws s3 ls --recursive", [line.split(maxsplit=3)[-1] for line in recursive],
              ["cli/bundle.bin", "odd key+&=.txt", "site/css/app.css", "site/index.html", "site/js/app.js"])
        check("aws s3 ls sizes", str(len(data)) in recursive[0].split(), True)
        check("aws s3 ls buckets", BUCKET in aws("s3", "ls"), True)
        aws("s3", "rm", f"s3://{BUCKET}/cli/bundle.bin")
        check("aws s3 rm", "cli/" in aws("s3", "ls", f"s3://{BUCKET}/"), False)


boto3_checks()
cli_checks()
finish("S3")
