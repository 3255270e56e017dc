"""``cloud launch/ls/status/ssh/down`` on AWS, against a real moto server.

The moto server (tests/moto_server.py) is a real EC2/SSM endpoint on 127.0.0.1; boto3
reaches it through ``AWS_ENDPOINT_URL``, as it would reach AWS. Where moto cannot produce
an answer (a vCPU quota, no spot capacity, a console with a self-check), the test makes
botocore receive the HTTP response real EC2 sends; which tests do that is said in each.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from envdoctor.cli import main
from envdoctor.cloud.plan import Needs, plan_box
from envdoctor.knowledge import KnowledgeBase

KB = KnowledgeBase()
CIDR = "203.0.113.7/32"
AL2023 = "Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux 2023)"
HOSTS = Path(__file__).resolve().parent.parent / "hosts"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Cli:
    """Runs ``envdoctor`` in-process and keeps every output, for the secret scan."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.outputs: list[str] = []

    def __call__(self, *args: str) -> Result:
        code = main(list(args))
        captured = self.capsys.readouterr()
        self.outputs += [captured.out, captured.err]
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], aws_env) -> Iterator[Cli]:
    runner = Cli(capsys)
    yield runner
    # Whatever a test did, the secret key never reached what a user sees.
    for text in runner.outputs:
        assert aws_env.secret not in text


def launch(cli: Cli, key_dir: Path, *extra: str) -> tuple[Result, str]:
    result = cli("cloud", "launch", "aws", "--gpu", "A10G", "-f", "torch", "--max-hours", "3",
                 "--yes", "--ssh-cidr", CIDR, "--create-key", "--key-dir", str(key_dir),
                 *extra)
    assert result.code == 0, result.text
    instance_id = next(w for w in result.out.split() if w.startswith("i-"))
    return result, instance_id


def instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def envdoctor_groups(ec2) -> list[dict]:
    return ec2.describe_security_groups(
        Filters=[{"Name": "tag:managed-by", "Values": ["envdoctor"]}])["SecurityGroups"]


def envdoctor_keys(ec2) -> list[dict]:
    return ec2.describe_key_pairs(
        Filters=[{"Name": "tag:managed-by", "Values": ["envdoctor"]}])["KeyPairs"]


def live_ids(ec2) -> set[str]:
    pages = ec2.describe_instances(Filters=[{"Name": "instance-state-name",
                                             "Values": ["pending", "running"]}])
    return {i["InstanceId"] for r in pages["Reservations"] for i in r["Instances"]}


def assert_no_secret(cli: Cli, *extra: str, private_key: str | None = None,
                     secret: str) -> None:
    for text in [*cli.outputs, *extra]:
        assert secret not in text
        if private_key:
            body = "".join(private_key.strip().splitlines()[1:-1])
            assert private_key.strip() not in text
            assert body[:40] not in text.replace("\n", "")


# --------------------------------------------------------------------------- the whole life


def test_plan_launch_ls_status_ssh_down(aws_env, cli: Cli, tmp_path: Path) -> None:
    ec2 = aws_env.client()
    keys = tmp_path / "keys"
    expected = plan_box(KB, Needs(provider="aws", gpu="A10G", frameworks=("torch",),
                                  max_hours=3, owner="ci-tester"))

    planned = cli("cloud", "plan", "aws", "--gpu", "A10G", "-f", "torch", "--max-hours", "3")
    assert planned.code == 0 and "g5.xlarge" in planned.out

    result, iid = launch(cli, keys)
    out = result.out
    # The summary came before anything was created, with the price and the guard.
    assert out.index("$1.006/hour") < out.index("created key pair")
    assert out.index("SSH (22/tcp) only from 203.0.113.7/32") < out.index("created security")
    # SSM has no DLAMI parameter in moto: the image came from the name search, newest
    # available (a newer one that is still pending is skipped).
    ami_id = aws_env.server.newest(AL2023)
    assert f"image {ami_id}" in out and "newest 'Deep Learning Base OSS" in out
    assert "GetParameter" in aws_env.sent and "DescribeImages" in aws_env.sent
    assert f"envdoctor cloud status {iid} --region us-east-1" in out

    box = instance(ec2, iid)
    assert box["ImageId"] == ami_id and box["InstanceType"] == "g5.xlarge"
    assert box["State"]["Name"] == "running"
    assert box["MetadataOptions"]["HttpTokens"] == "required"
    assert box["MetadataOptions"]["HttpEndpoint"] == "enabled"
    tags = {t["Key"]: t["Value"] for t in box["Tags"]}
    assert tags["managed-by"] == "envdoctor" and tags["owner"] == "ci-tester"
    assert tags["expires-at"].endswith("Z") and tags["envdoctor-login"] == "ec2-user"
    launch_id = tags["envdoctor-launch"]
    assert tags["Name"] == f"envdoctor-{launch_id}"
    shutdown = ec2.describe_instance_attribute(InstanceId=iid,
                                               Attribute="instanceInitiatedShutdownBehavior")
    assert shutdown["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    user_data = base64.b64decode(ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="userData")["UserData"]["Value"]).decode()
    # The same first boot as the plan, but for the launch's own expiry.
    assert user_data == expected.user_data.replace(expected.expires_at, tags["expires-at"])
    assert "shutdown -h +180" in user_data and "torch==2.14.0" in user_data

    (mapping,) = box["BlockDeviceMappings"]
    assert mapping["DeviceName"] == "/dev/xvda"  # the image's root device
    volume = ec2.describe_volumes(VolumeIds=[mapping["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Encrypted"] is True and volume["VolumeType"] == "gp3"
    assert volume["Size"] == 200
    volume_tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert {k: volume_tags[k] for k in ("managed-by", "owner", "expires-at")} == {
        "managed-by": "envdoctor", "owner": "ci-tester", "expires-at": tags["expires-at"]}

    (group,) = box["SecurityGroups"]
    sg = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]
    assert {t["Key"]: t["Value"] for t in sg["Tags"]}["managed-by"] == "envdoctor"
    (rule,) = sg["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
    assert [r["CidrIp"] for r in rule["IpRanges"]] == [CIDR]
    assert rule["Ipv6Ranges"] == [] and rule["UserIdGroupPairs"] == []

    key_file = keys / f"envdoctor-{launch_id}.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    private_key = key_file.read_text()
    assert private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert box["KeyName"] == f"envdoctor-{launch_id}"
    assert [k["KeyName"] for k in envdoctor_keys(ec2)] == [f"envdoctor-{launch_id}"]

    listed = cli("cloud", "ls")
    assert listed.code == 0
    (row,) = [line for line in listed.out.splitlines() if line.startswith("i-")]
    assert row.split()[:3] == [iid, "running", "g5.xlarge"]
    assert box["PublicIpAddress"] in row and tags["expires-at"] in row and "ci-tester" in row
    as_json = json.loads(cli("cloud", "ls", "--json").out)
    assert [b["id"] for b in as_json] == [iid] and as_json[0]["managed"] is True

    # moto's console is a fixed Xen boot log without the self-check: status says so.
    shown = cli("cloud", "status", iid)
    assert shown.code == 0
    assert f"{iid} · g5.xlarge · running (on-demand) · us-east-1" in shown.out
    assert "Self-check: no self-check output yet" in shown.out
    assert f"expires   {tags['expires-at']}" in shown.out

    ssh = cli("cloud", "ssh", iid, "--key-dir", str(keys))
    assert ssh.code == 0
    assert ssh.out.strip() == (f"ssh -i {key_file} -o IdentitiesOnly=yes "
                               f"ec2-user@{box['PublicIpAddress']}")

    gone = cli("cloud", "down", iid, "--yes", "--key-dir", str(keys))
    assert gone.code == 0, gone.text
    assert f"terminated {iid}" in gone.out
    assert f"deleted security group {group['GroupId']}" in gone.out
    assert f"deleted key pair envdoctor-{launch_id}" in gone.out
    assert instance(ec2, iid)["State"]["Name"] == "terminated"
    assert envdoctor_groups(ec2) == [] and envdoctor_keys(ec2) == []
    assert not key_file.exists()
    empty = cli("cloud", "ls")
    assert empty.code == 0 and empty.out.strip() == "No envdoctor boxes in us-east-1."

    assert_no_secret(cli, user_data, private_key=private_key, secret=aws_env.secret)


def test_status_reads_the_self_check_from_a_real_console(aws_env, cli: Cli,
                                                          tmp_path: Path) -> None:
    """moto's console output is fixed text; here GetConsoleOutput answers (at botocore's
    send boundary) with the console of a box whose first boot found a shadowed cuDNN,
    in the format the first-boot script writes, between kernel and cloud-init lines."""
    _, iid = launch(cli, tmp_path)
    code = main(["check", "--facts", str(HOSTS / "system-cudnn-shadows-pip" / "facts.json"),
                 "--json"])
    report = cli.capsys.readouterr().out
    assert code == 1
    encoded = base64.encodebytes(report.encode()).decode()  # 76 columns, as base64 -w 76
    console = ("[    0.000000] Linux version 6.8.0-1021-aws (buildd@lcy02-amd64-098)\n"
               "[   18.201337] cloud-init[1204]: Cloud-init v. 24.4 running 'modules:final'\n"
               "ENVDOCTOR-CHECK-START\n"
               "[  212.004211] cloud-init[1204]: Successfully installed torch-2.14.0\n"
               "ENVDOCTOR-CHECK-BEGIN\n" + encoded + "ENVDOCTOR-CHECK-END exit=1\n"
               "[  214.551000] cloud-init[1204]: Cloud-init v. 24.4 finished\n")
    body = ("<GetConsoleOutputResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
            f"<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
            f"<instanceId>{iid}</instanceId><timestamp>2026-11-23T12:04:11.000Z</timestamp>"
            f"<output>{base64.b64encode(console.encode()).decode()}</output>"
            "</GetConsoleOutputResponse>")
    aws_env.respond("GetConsoleOutput", 200, body)
    shown = cli("cloud", "status", iid)
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert "Self-check: exit 1 (errors found), 1 finding" in lines
    assert any(line.startswith("  ERROR ED0306 ") for line in lines)
    data = json.loads(cli("cloud", "status", iid, "--json").out)
    assert data["self_check"]["exit_code"] == 1
    assert data["self_check"]["report"]["findings"][0]["code"] == "ED0306"


def test_untagged_instances_are_never_touched(aws_env, cli: Cli, tmp_path: Path) -> None:
    ec2 = aws_env.client()
    theirs = ec2.run_instances(ImageId=aws_env.server.newest(AL2023), InstanceType="t3.micro",
                               MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    their_group = ec2.create_security_group(GroupName="team-ssh", Description="not ours")
    their_key = ec2.create_key_pair(KeyName="team-key")["KeyName"]
    _, ours = launch(cli, tmp_path)

    refused = cli("cloud", "down", theirs, "--yes")
    assert refused.code == 2
    assert refused.err.startswith(f"error: {theirs} is not managed by envdoctor "
                                  "(no managed-by=envdoctor tag): nothing was terminated")
    assert "hint: envdoctor only removes what it created" in refused.err
    # Named together with one of ours: still nothing at all is terminated.
    mixed = cli("cloud", "down", ours, theirs, "--yes")
    assert mixed.code == 2 and live_ids(ec2) == {theirs, ours}
    assert theirs not in cli("cloud", "ls").out

    swept = cli("cloud", "down", "--all", "--yes", "--key-dir", str(tmp_path))
    assert swept.code == 0, swept.text
    assert f"terminated {ours}" in swept.out and theirs not in swept.out
    assert live_ids(ec2) == {theirs}
    groups = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert their_group["GroupId"] in groups
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == [their_key]


def test_down_keeps_an_existing_key_pair_and_refuses_unknown_ids(aws_env, cli: Cli) -> None:
    ec2 = aws_env.client()
    ec2.create_key_pair(KeyName="my-laptop")
    result = cli("cloud", "launch", "aws", "--gpu", "L4", "--yes", "--ssh-cidr", CIDR,
                 "--key-name", "my-laptop")
    assert result.code == 0, result.text
    iid = next(w for w in result.out.split() if w.startswith("i-"))
    ssh = cli("cloud", "ssh", iid)
    assert ssh.out.startswith(f"ssh -i {Path.home() / '.ssh' / 'my-laptop.pem'} ")
    assert "is not here: use the private key of key pair my-laptop" in ssh.err
    missing = cli("cloud", "down", "i-0123456789abcdef0", "--yes")
    assert missing.code == 2
    assert "error: no instance i-0123456789abcdef0 in us-east-1" in missing.err
    assert cli("cloud", "down", iid, "--yes").code == 0
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == ["my-laptop"]
    assert envdoctor_groups(ec2) == []


# --------------------------------------------------------------------------- half-way failures


def test_a_quota_error_after_the_key_and_group_cleans_them_up(aws_env, cli: Cli,
                                                               tmp_path: Path) -> None:
    """moto has no vCPU quotas: RunInstances answers (at botocore's send boundary) with
    the VcpuLimitExceeded error real EC2 sends to a new account, after the key pair and
    the security group were created on the moto server."""
    ec2 = aws_env.client()
    aws_env.fail("RunInstances", "VcpuLimitExceeded",
                 "You have requested more vCPU capacity than your current vCPU limit of 0 "
                 "allows for the instance bucket that the specified instance type belongs "
                 "to. Please visit http://aws.amazon.com/contact-us/ec2-request to request "
                 "an adjustment to this limit.")
    keys = tmp_path / "keys"
    result = cli("cloud", "launch", "aws", "--gpu", "A10G", "--yes", "--ssh-cidr", CIDR,
                 "--create-key", "--key-dir", str(keys))
    assert result.code == 2
    assert "created security group" in result.out and "created key pair" in result.out
    error, hint = result.err.splitlines()[:2]
    assert error.startswith("error: launch failed: an AWS quota stops starting g5.xlarge: "
                            "You have requested more vCPU capacity")
    assert "Cleaned up what it had created: security group sg-" in error
    assert ", key file " in error and ", key pair envdoctor-" in error
    assert hint.startswith("hint: GPU families start at 0 vCPUs")
    assert "--quota-code L-DB2E81BA" in hint  # G and VT instances
    assert envdoctor_groups(ec2) == [] and envdoctor_keys(ec2) == []
    assert list(keys.iterdir()) == [] and live_ids(ec2) == set()
    assert aws_env.sent.index("CreateSecurityGroup") < aws_env.sent.index("RunInstances")


def test_a_failure_after_the_instance_started_terminates_it(aws_env, cli: Cli,
                                                            tmp_path: Path) -> None:
    """The first DescribeInstances after RunInstances is refused (an IAM policy without
    ec2:DescribeInstances, answered at botocore's send boundary): the instance is
    terminated, then its group and key are deleted."""
    ec2 = aws_env.client()
    aws_env.fail("DescribeInstances", "UnauthorizedOperation",
                 "You are not authorized to perform this operation.", times=1)
    result = cli("cloud", "launch", "aws", "--gpu", "A10G", "--yes", "--ssh-cidr", CIDR,
                 "--create-key", "--key-dir", str(tmp_path))
    assert result.code == 2, result.text
    iid = next(w for w in result.out.split() if w.startswith("i-"))
    assert f"Cleaned up what it had created: instance {iid} (terminated), security group" \
        in result.err
    assert "hint: your IAM identity needs ec2:RunInstances" in result.err
    assert instance(ec2, iid)["State"]["Name"] == "terminated"
    assert envdoctor_groups(ec2) == [] and envdoctor_keys(ec2) == []


def test_declining_the_confirmation_creates_nothing(aws_env, cli: Cli, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    ec2 = aws_env.client()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    result = cli("cloud", "launch", "aws", "--gpu", "A10G", "--ssh-cidr", CIDR,
                 "--create-key", "--key-dir", str(tmp_path))
    assert result.code == 1
    assert "Launch g5.xlarge in us-east-1 for $1.006/hour" in result.out
    assert "aborted" in result.err
    assert "RunInstances" not in aws_env.sent and "CreateKeyPair" not in aws_env.sent
    assert envdoctor_groups(ec2) == [] and live_ids(ec2) == set()


def test_a_blocked_plan_is_not_launched_unless_forced(aws_env, cli: Cli,
                                                      tmp_path: Path) -> None:
    args = ("cloud", "launch", "aws", "--gpu", "B200", "-f", "torch==2.5", "--yes",
            "--ssh-cidr", CIDR, "--create-key", "--key-dir", str(tmp_path))
    blocked = cli(*args)
    assert blocked.code == 1
    assert "ED0302" in blocked.out and "Not launched: the pre-flight check blocks" in blocked.err
    assert aws_env.sent == []  # refused before asking AWS anything
    forced = cli(*args, "--force")
    assert forced.code == 0, forced.text
    assert "p6-b200.48xlarge" in forced.out


# --------------------------------------------------------------------------- choices


def test_spot_falls_back_to_on_demand(aws_env, cli: Cli, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """moto always has spot capacity: a spot RunInstances answers (at botocore's send
    boundary) with EC2's InsufficientInstanceCapacity; the on-demand one reaches moto."""
    # EC2 sends it as a 500, which botocore retries with real sleeps: once is enough here.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    ec2 = aws_env.client()
    _, spot_id = launch(cli, tmp_path, "--spot")
    assert instance(ec2, spot_id).get("InstanceLifecycle") == "spot"
    aws_env.fail("RunInstances", "InsufficientInstanceCapacity",
                 "We currently do not have sufficient g5.xlarge capacity in the Availability "
                 "Zone you requested (us-east-1a).", status=500,
                 match="InstanceMarketOptions.MarketType=spot")
    result, iid = launch(cli, tmp_path, "--spot")
    assert "no spot capacity (InsufficientInstanceCapacity); starting on-demand" in result.out
    assert "on-demand, because spot was refused" in result.out
    assert instance(ec2, iid).get("InstanceLifecycle") is None


def test_an_explicit_ami_is_used_and_its_driver_is_called_unknown(aws_env, cli: Cli,
                                                                  tmp_path: Path) -> None:
    ec2 = aws_env.client()
    ubuntu = next(i for i in aws_env.server.images if i["name"].startswith("ubuntu/"))
    result, iid = launch(cli, tmp_path, "--ami", ubuntu["ami_id"])
    assert (f"note: envdoctor does not know the NVIDIA driver of {ubuntu['ami_id']}: the "
            "pre-flight check could not judge the driver") in result.out
    assert "DescribeImages" in aws_env.sent and "GetParameter" not in aws_env.sent
    box = instance(ec2, iid)
    assert box["ImageId"] == ubuntu["ami_id"]
    assert box["BlockDeviceMappings"][0]["DeviceName"] == "/dev/sda1"
    user_data = base64.b64decode(ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="userData")["UserData"]["Value"]).decode()
    assert "python3-venv" in user_data  # Ubuntu's packages, from the image's name
    ssh = cli("cloud", "ssh", iid, "--key-dir", str(tmp_path))
    assert f"ubuntu@{box['PublicIpAddress']}" in ssh.out
    missing = cli("cloud", "launch", "aws", "--gpu", "A10G", "--yes", "--ssh-cidr", CIDR,
                  "--create-key", "--ami", "ami-0000000000000dead")
    assert missing.code == 2
    assert "error: no image ami-0000000000000dead in us-east-1" in missing.err


def test_the_ssm_parameter_wins_when_aws_publishes_it(aws_env, cli: Cli,
                                                      tmp_path: Path) -> None:
    """moto refuses parameters under /aws/: GetParameter answers (at botocore's send
    boundary) the way SSM does for the public DLAMI parameter, naming the older image."""
    older = min((i for i in aws_env.server.images if i["name"].startswith(AL2023)),
                key=lambda i: i["creation_date"])["ami_id"]
    box = plan_box(KB, Needs(provider="aws", gpu="A10G"))
    aws_env.respond("GetParameter", 200, json.dumps({"Parameter": {
        "Name": box.image.ssm_parameter, "Type": "String", "Value": older, "Version": 42,
        "DataType": "aws:ec2:image"}}), content_type="application/x-amz-json-1.1")
    result, iid = launch(cli, tmp_path)
    assert f"image {older} " in result.out and f"SSM {box.image.ssm_parameter}" in result.out
    assert instance(aws_env.client(), iid)["ImageId"] == older


def test_the_callers_address_is_detected(aws_env, cli: Cli, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """checkip.amazonaws.com is replaced by a local HTTP server that answers like it."""
    from envdoctor.cloud import aws

    class CheckIp(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"198.51.100.23\n")

        def log_message(self, *_: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), CheckIp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(aws, "CHECKIP_URL", f"http://127.0.0.1:{server.server_port}/")
        result = cli("cloud", "launch", "aws", "--gpu", "L4", "--yes", "--create-key",
                     "--key-dir", str(tmp_path))
    finally:
        server.shutdown()
    assert result.code == 0, result.text
    assert "SSH (22/tcp) only from 198.51.100.23/32" in result.out
    (group,) = envdoctor_groups(aws_env.client())
    assert [r["CidrIp"] for r in group["IpPermissions"][0]["IpRanges"]] == ["198.51.100.23/32"]


def test_own_backoff_outlasts_throttling(aws_env, cli: Cli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """RequestLimitExceeded (EC2's throttling answer) twice; botocore gives up at once
    (AWS_MAX_ATTEMPTS=1, a standard setting), envdoctor waits and tries again."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    aws_env.fail("DescribeInstances", "RequestLimitExceeded", "Request limit exceeded.",
                 status=503, times=2)
    result = cli("cloud", "ls")
    assert result.code == 0, result.text
    assert aws_env.sent.count("DescribeInstances") == 3
    first, second = aws_env.sleeps
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 4.0  # doubling, with jitter
    aws_env.fail("DescribeInstances", "RequestLimitExceeded", "Request limit exceeded.",
                 status=503)
    throttled = cli("cloud", "ls")
    assert throttled.code == 2
    assert "error: AWS kept throttling the requests while listing instances" in throttled.err


# --------------------------------------------------------------------------- user errors


@pytest.mark.parametrize(("args", "error", "hint"), [
    (("--region", "us-nowhere-1"), "unknown AWS region 'us-nowhere-1'",
     "'aws ec2 describe-regions' lists"),
    (("--region", "us-est-1"), "unknown AWS region 'us-est-1'", "us-east-1, us-west-2?"),
    (("--instance-type", "g9.xlarge"), "unknown aws GPU instance type 'g9.xlarge'",
     "'envdoctor cloud gpus --provider aws' lists"),
    (("--instance-type", "p5e.48xlarge"), "p5e.48xlarge is not offered in us-east-1",
     "choose another --region"),
    (("--ssh-cidr", "0.0.0.0/0"), "--ssh-cidr would open SSH to the whole internet",
     "give your own address"),
    (("--ssh-cidr", "my-laptop"), "--ssh-cidr 'my-laptop' is not an address", "203.0.113.7/32"),
    (("--key-name", "nope"), "no key pair 'nope' in us-east-1", "--create-key"),
    (("--subnet", "subnet-0123456789"), "no subnet subnet-0123456789 in us-east-1",
     "describe-subnets"),
    (("--disk-gib", "10"), "--disk-gib 10 is smaller than the image's 15 GiB root volume",
     "--disk-gib 200"),
])
def test_user_errors_exit_2_before_anything_is_created(aws_env, cli: Cli, tmp_path: Path,
                                                       args: tuple[str, ...], error: str,
                                                       hint: str) -> None:
    base = ["cloud", "launch", "aws", "--gpu", "A10G", "--yes"]
    if "--ssh-cidr" not in args:
        base += ["--ssh-cidr", CIDR]
    if "--key-name" not in args:
        base += ["--create-key", "--key-dir", str(tmp_path)]
    result = cli(*base, *args)
    assert result.code == 2, result.text
    assert result.err.splitlines()[0] == f"error: {error}" or \
        result.err.splitlines()[0].startswith(f"error: {error}")
    assert result.err.splitlines()[1].startswith("hint: ") and hint in result.err
    created = {"CreateKeyPair", "CreateSecurityGroup", "RunInstances"}
    assert created.isdisjoint(aws_env.sent)


def test_missing_credentials_exit_2(aws_env, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # No keys in the environment, empty config and credentials files, no instance role.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    for args in (("ls",), ("status", "i-0123456789abcdef0"), ("down", "--all", "--yes"),
                 ("launch", "aws", "--gpu", "L4", "--create-key", "--ssh-cidr", CIDR)):
        result = cli("cloud", *args)
        assert result.code == 2
        assert result.err.startswith("error: no AWS credentials found")
        assert "hint: run 'aws configure' or 'aws sso login'" in result.err
    assert aws_env.sent == []


def test_unknown_profile_and_missing_region_exit_2(aws_env, cli: Cli,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("cloud", "ls", "--profile", "nobody")
    assert result.code == 2 and "error: AWS profile 'nobody' is not configured" in result.err
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = cli("cloud", "ls")
    assert result.code == 2 and "error: no AWS region is configured" in result.err
    assert "hint: pass --region us-east-1" in result.err
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # boto3 itself reads AWS_DEFAULT_REGION
    assert cli("cloud", "ls").out.strip() == "No envdoctor boxes in eu-west-1."


def test_rejected_credentials_exit_2(aws_env, cli: Cli) -> None:
    """moto accepts any key: DescribeInstances answers (at botocore's send boundary) with
    the AuthFailure EC2 sends for a wrong secret key."""
    aws_env.fail("DescribeInstances", "AuthFailure",
                 "AWS was not able to validate the provided access credentials")
    result = cli("cloud", "ls")
    assert result.code == 2
    assert result.err.startswith("error: AWS rejected the credentials while listing "
                                 "instances: AWS was not able to validate")
    assert aws_env.secret not in result.text


def test_address_detection_failure_exit_2(aws_env, cli: Cli, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from envdoctor.cloud import aws

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(aws, "CHECKIP_URL", f"http://127.0.0.1:{port}/")
    result = cli("cloud", "launch", "aws", "--gpu", "L4", "--yes", "--create-key",
                 "--key-dir", str(tmp_path))
    assert result.code == 2
    assert result.err.startswith("error: cannot find this machine's public address")
    assert "hint: pass --ssh-cidr YOUR.PUBLIC.IP/32; envdoctor never opens SSH to " \
        "0.0.0.0/0" in result.err
    assert "CreateSecurityGroup" not in aws_env.sent


def test_key_options_are_required_and_exclusive(aws_env, cli: Cli) -> None:
    neither = cli("cloud", "launch", "aws", "--gpu", "L4", "--yes", "--ssh-cidr", CIDR)
    assert neither.code == 2 and "error: the box needs a key pair for SSH" in neither.err
    both = cli("cloud", "launch", "aws", "--gpu", "L4", "--yes", "--ssh-cidr", CIDR,
               "--create-key", "--key-name", "x")
    assert both.code == 2 and "cannot be used together" in both.err
    assert cli("cloud", "down").code == 2
    assert aws_env.sent == []


def test_boxes_in_another_region_are_not_listed(aws_env, cli: Cli, tmp_path: Path) -> None:
    _, iid = launch(cli, tmp_path)
    assert iid in cli("cloud", "ls").out
    other = cli("cloud", "ls", "--region", "eu-west-1")
    assert other.out.strip() == "No envdoctor boxes in eu-west-1."
    status = cli("cloud", "status", iid, "--region", "eu-west-1")
    assert status.code == 2 and f"error: no instance {iid} in eu-west-1" in status.err


def test_the_key_file_is_private_even_with_a_loose_umask(aws_env, cli: Cli,
                                                         tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        launch(cli, tmp_path / "new-folder")
    finally:
        os.umask(old)
    (key,) = (tmp_path / "new-folder").iterdir()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new-folder").stat().st_mode) == 0o700


def test_the_guard_refuses_real_aws(aws_env, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without AWS_ENDPOINT_URL boto3 would call AWS itself: the fixture stops it."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    result = cli("cloud", "ls")
    assert result.code == 2
    assert "a test tried to reach https://ec2.us-east-1.amazonaws.com/" in result.err
    assert "only the moto server on 127.0.0.1 may be called" in result.err
