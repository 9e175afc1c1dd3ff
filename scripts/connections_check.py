"""Talks to a running Sluice's connections API with boto3 under both of the service's names
(`codeconnections` and `codestar-connections`), as AWS users would, and gives a connection its
token with `sluice connection set-token`. Environment: SLUICE_URL, SLUICE_KEY_ID, SLUICE_SECRET
(an Editor's key), SLUICE_BIN and SLUICE_DATA_DIR (for the CLI). Prints one line per check and a
summary; exits non-zero on any failure."""
import os
import subprocess

from sdk_checks import check, client, finish, outcome

TOKEN = "boto3-check-token-never-shown"
new, old = client("codeconnections"), client("codestar-connections")


arn = new.create_connection(ProviderType="GitHub", ConnectionName="boto3-gh")["ConnectionArn"]
check("CreateConnection answers a codeconnections ARN", arn.split(":")[2:5], ["codeconnections", "us-east-1", "000000000000"])
old_arn = arn.replace(":codeconnections:", ":codestar-connections:")
got = old.get_connection(ConnectionArn=arn)["Connection"]
check("the old name finds it, under its own ARN", got["ConnectionArn"], old_arn)
check("a new connection is PENDING", got["ConnectionStatus"], "PENDING")
check("its provider", got["ProviderType"], "GitHub")
check("a taken name", outcome(lambda: new.create_connection(ProviderType="GitHub", ConnectionName="boto3-gh")), "ResourceAlreadyExistsException")
check("Azure DevOps", outcome(lambda: new.create_connection(ProviderType="AzureDevOps", ConnectionName="az")), "UnsupportedProviderTypeException")
missing = arn[: arn.rindex("/") + 1] + "00000000-0000-0000-0000-000000000000"
check("an unknown connection", outcome(lambda: old.get_connection(ConnectionArn=missing)), "ResourceNotFoundException")

host_arn = old.create_host(Name="boto3-gitlab", ProviderType="GitLabSelfManaged", ProviderEndpoint="https://gitlab.example.com/")["HostArn"]
check("CreateHost answers a codestar-connections ARN", host_arn.split(":")[2], "codestar-connections")
host = new.get_host(HostArn=host_arn)
check("GetHost", (host["Name"], host["ProviderEndpoint"], host["Status"]), ("boto3-gitlab", "https://gitlab.example.com", "AVAILABLE"))
check("ListHosts", [h["Name"] for h in new.list_hosts()["Hosts"]], ["boto3-gitlab"])
on_host = new.create_connection(ConnectionName="boto3-gl", HostArn=host_arn)["ConnectionArn"]
check("a connection on a host takes its provider", new.get_connection(ConnectionArn=on_host)["Connection"]["ProviderType"], "GitLabSelfManaged")
check("a used host cannot go", outcome(lambda: new.delete_host(HostArn=host_arn)), "ConflictException")
listed = old.list_connections(ProviderTypeFilter="GitLabSelfManaged")["Connections"]
check("ListConnections filters by provider", [c["ConnectionName"] for c in listed], ["boto3-gl"])
check("a file:// host is for Admins", outcome(lambda: new.create_host(Name="local", ProviderType="GitLabSelfManaged", ProviderEndpoint="file:///")), "AccessDeniedException")

cli = subprocess.run([os.environ["SLUICE_BIN"], "connection", "set-token", "boto3-gh"], input=TOKEN, capture_output=True, text=True)
check("sluice connection set-token", (cli.returncode, cli.stdout.strip()), (0, "Connection boto3-gh is AVAILABLE with its token"))
raw = new.get_connection(ConnectionArn=arn)
check("a connection with a token is AVAILABLE", raw["Connection"]["ConnectionStatus"], "AVAILABLE")
check("no answer shows the token", TOKEN in repr(raw) + repr(new.list_connections()), False)

for connection in (arn, on_host):
    new.delete_connection(ConnectionArn=connection)
check("a deleted connection is gone", outcome(lambda: new.get_connection(ConnectionArn=arn)), "ResourceNotFoundException")
old.delete_host(HostArn=host_arn)
check("a host without connections goes", new.list_hosts()["Hosts"], [])

finish("connection")
