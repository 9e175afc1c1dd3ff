"""Talks to a running Sluice's CodeCommit API with boto3, as AWS users would, and pushes to the
repository it creates with the system git over HTTP (Basic authentication with the same access
key). Environment: SLUICE_URL, SLUICE_KEY_ID, SLUICE_SECRET; SLUICE_REPO names the repository
(default boto3-check). Prints one line per check and a summary; exits non-zero on any failure."""
import os
import subprocess
import tempfile
import urllib.parse

from sdk_checks import KEY_ID, SECRET, URL, check, client, finish, outcome

REPO = os.environ.get("SLUICE_REPO", "boto3-check")
cc = client("codecommit")


def git(*args, cwd):
    env = {
        "PATH": os.environ["PATH"], "HOME": cwd, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Check", "GIT_AUTHOR_EMAIL": "check@example.com",
        "GIT_COMMITTER_NAME": "Check", "GIT_COMMITTER_EMAIL": "check@example.com",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


created = cc.create_repository(repositoryName=REPO, repositoryDescription="made by boto3")["repositoryMetadata"]
check("CreateRepository names it", created["repositoryName"], REPO)
check("cloneUrlHttp is Sluice's own", created["cloneUrlHttp"], f"{URL}/v1/repos/{REPO}")
check("its ARN", created["Arn"], f"arn:aws:codecommit:us-east-1:000000000000:{REPO}")
check("a taken name", outcome(lambda: cc.create_repository(repositoryName=REPO)), "RepositoryNameExistsException")
check("a name with a space", outcome(lambda: cc.create_repository(repositoryName="a b")), "InvalidRepositoryNameException")
check("a name ending in .git", outcome(lambda: cc.create_repository(repositoryName="x.git")), "InvalidRepositoryNameException")
check("GetRepository of none", outcome(lambda: cc.get_repository(repositoryName="nope")), "RepositoryDoesNotExistException")
names = [r["repositoryName"] for r in cc.list_repositories(sortBy="repositoryName", order="descending")["repositories"]]
check("ListRepositories lists it", REPO in names, True)
cc.update_repository_description(repositoryName=REPO, repositoryDescription="described again")
got = cc.get_repository(repositoryName=REPO)["repositoryMetadata"]
check("UpdateRepositoryDescription", got.get("repositoryDescription"), "described again")
check("an empty repository has no default branch", "defaultBranch" in got, False)
check("no branches yet", cc.list_branches(repositoryName=REPO)["branches"], [])
check("GetBranch of a missing branch", outcome(lambda: cc.get_branch(repositoryName=REPO, branchName="main")), "BranchDoesNotExistException")

# A real push over HTTP, with the same key as Basic credentials.
work = tempfile.mkdtemp()
credentials = f"{urllib.parse.quote(KEY_ID, safe='')}:{urllib.parse.quote(SECRET, safe='')}"
remote = created["cloneUrlHttp"].replace("://", f"://{credentials}@", 1)
git("init", "--quiet", "--initial-branch=main", cwd=work)
with open(os.path.join(work, "README"), "w") as readme:
    readme.write("pushed by the boto3 check\n")
git("add", "README", cwd=work)
git("commit", "--quiet", "-m", "First commit", cwd=work)
commit = git("rev-parse", "HEAD", cwd=work)
git("push", "--quiet", remote, "main", cwd=work)

check("GetBranch after the push", cc.get_branch(repositoryName=REPO, branchName="main")["branch"], {"branchName": "main", "commitId": commit})
check("ListBranches", cc.list_branches(repositoryName=REPO)["branches"], ["main"])
check("the first branch pushed is the default", cc.get_repository(repositoryName=REPO)["repositoryMetadata"].get("defaultBranch"), "main")
got = cc.get_commit(repositoryName=REPO, commitId=commit)["commit"]
check("GetCommit message", got["message"], "First commit")
check("GetCommit author", got["author"]["name"], "Check")
check("GetCommit with a bad id", outcome(lambda: cc.get_commit(repositoryName=REPO, commitId="xyz")), "InvalidCommitIdException")
check("GetCommit of an unknown id", outcome(lambda: cc.get_commit(repositoryName=REPO, commitId="0" * 40)), "CommitIdDoesNotExistException")
check("an operation outside the subset", outcome(lambda: cc.create_branch(repositoryName=REPO, branchName="b", commitId=commit)), "UnknownOperationException")

deleted = cc.delete_repository(repositoryName=REPO)
check("DeleteRepository returns the id", deleted.get("repositoryId"), created["repositoryId"])
check("deleting it again returns no id", cc.delete_repository(repositoryName=REPO).get("repositoryId"), None)

finish("CodeCommit")
