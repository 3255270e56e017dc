"""AWS: launch, list, inspect and remove envdoctor's GPU boxes through boto3.

Imported only by the ``cloud`` commands that talk to AWS (never by ``cloud --help``,
``gpus`` or ``plan``). Sessions come from boto3's usual sources: profiles, the
environment, SSO, instance roles, and ``AWS_ENDPOINT_URL`` for another endpoint. Every
resource a launch creates carries the plan's tags (``managed-by=envdoctor``, owner,
expiry) and an ``envdoctor-launch`` id; ``ls``, ``status``, ``ssh`` and ``down`` only
look at instances tagged ``managed-by=envdoctor``, and ``down`` removes nothing else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import fnmatch
import ipaddress
import os
import random
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    TokenRetrievalError,
)

from envdoctor.cloud.plan import MANAGED_BY, BoxPlan, Image, SelfCheck, read_self_check
from envdoctor.errors import EnvdoctorError, UsageError

Echo = Callable[[str], None]

TAG_LAUNCH = "envdoctor-launch"
"""Tag with the launch id shared by the instance, its volume, security group and key."""
TAG_LOGIN = "envdoctor-login"
"""Tag with the image's SSH login (``ubuntu``, ``ec2-user``) for ``cloud ssh``."""
DEFAULT_DISK_GIB = 200
"""Root volume size: the DLAMI, a venv with torch and the CUDA wheels, and some data."""
CHECKIP_URL = "https://checkip.amazonaws.com"
CHECKIP_TIMEOUT = 4.0
MAX_RETRIES = 4
"""botocore's own retries per call (standard mode), unless the user configured theirs."""
OUTER_ATTEMPTS = 4
"""Our attempts on top, with a longer backoff, for throttling that outlasts botocore's."""
WAIT_RUNNING_S = 180.0
WAIT_TERMINATED_S = 600.0
POLL_S = 5.0
LIVE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]
USER_DATA_LIMIT = 16 * 1024

_THROTTLED = {"RequestLimitExceeded", "Throttling", "ThrottlingException",
              "TooManyRequestsException", "RequestThrottled", "SlowDown"}
_TRANSIENT = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable",
              "RequestTimeout", "RequestTimeoutException"}
_SPOT_FALLBACK = {"InsufficientInstanceCapacity", "SpotMaxPriceTooLow",
                  "MaxSpotInstanceCountExceeded"}
_CREDENTIALS = {"AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId",
                "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
                "RequestExpired", "IncompleteSignature", "MissingAuthenticationToken"}
_QUOTA = {"VcpuLimitExceeded", "InstanceLimitExceeded", "MaxSpotInstanceCountExceeded",
          "PendingVerification", "SecurityGroupLimitExceeded", "RulesPerSecurityGroupLimitExceeded",
          "ResourceLimitExceeded", "KeyPairLimitExceeded", "VolumeLimitExceeded"}

_sleep: Callable[[float], None] = time.sleep  # tests replace it; the real one waits


# --------------------------------------------------------------------------- session


def new_session(profile: str | None) -> boto3.Session:
    """A boto3 session from the standard sources (one place, so tests can wrap it)."""
    return boto3.Session(botocore_session=botocore.session.get_session(), profile_name=profile)


@dataclass
class Aws:
    """A session bound to one region, with clients configured for retries."""

    session: boto3.Session
    region: str
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:  # noqa: ANN401 - boto3 clients are dynamic
        """A client for ``service`` in this region (made once)."""
        if service not in self._clients:
            # The user's own retry settings (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE,
            # ~/.aws/config) win over ours; botocore reads them when we leave them out.
            store = self.session._session
            # (Older botocore defaults to the "legacy" mode: ask for "standard" unless the
            # user chose one.)
            mode = os.environ.get("AWS_RETRY_MODE") or store.get_scoped_config().get(
                "retry_mode")
            retries: dict[str, Any] = {"mode": mode or "standard"}
            if store.get_config_variable("max_attempts") is None:
                retries["max_attempts"] = MAX_RETRIES
            from envdoctor import __version__  # noqa: PLC0415

            config = Config(retries=retries, connect_timeout=10, read_timeout=60,
                            user_agent_extra=f"envdoctor/{__version__}")
            self._clients[service] = self.session.client(service, region_name=self.region,
                                                         config=config)
        return self._clients[service]

    @property
    def ec2(self) -> Any:  # noqa: ANN401
        """The EC2 client."""
        return self.client("ec2")


def connect(region: str | None, profile: str | None) -> Aws:
    """A session for ``region`` (or the configured one) with credentials, or a UsageError."""
    with translated("reading the AWS configuration"):
        session = new_session(profile)
        region = region or session.region_name or os.environ.get("AWS_REGION")
        if not region:
            raise UsageError("no AWS region is configured",
                             hint="pass --region us-east-1, set AWS_REGION, or run "
                             "'aws configure set region us-east-1'")
        check_region(session, region)
        credentials = session.get_credentials()
        if credentials is None:
            raise UsageError("no AWS credentials found (no profile, no AWS_ACCESS_KEY_ID, no "
                             "SSO session, no instance role)",
                             hint="run 'aws configure' or 'aws sso login', or pass --profile "
                             "NAME (AWS_PROFILE works too)")
    return Aws(session=session, region=region)


def check_region(session: boto3.Session, region: str) -> None:
    """Refuse a region name botocore does not know in any partition."""
    known: set[str] = set()
    for partition in session.get_available_partitions():
        known.update(session.get_available_regions("ec2", partition_name=partition))
    if region in known:
        return
    close = difflib.get_close_matches(region, sorted(known), n=3, cutoff=0.6)
    suggestion = f"did you mean {', '.join(close)}? " if close else ""
    raise UsageError(f"unknown AWS region {region!r}",
                     hint=f"{suggestion}'aws ec2 describe-regions' lists the regions of your "
                     "account (if the region is newer than this boto3, upgrade boto3)")


# --------------------------------------------------------------------------- errors


def call(method: Callable[..., Any], /, *, idempotent: bool = True,
         **kwargs: Any) -> Any:  # noqa: ANN401
    """Call an AWS API with our own backoff on throttling (and transient errors).

    botocore's standard mode retries already; this outer loop waits longer, for an
    account whose request rate is exhausted by other tools. A call that is not
    idempotent is retried only when AWS says it was throttled (it was not processed).
    """
    for attempt in range(OUTER_ATTEMPTS):
        try:
            return method(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            retry = code in _THROTTLED or (idempotent and code in _TRANSIENT)
            if not retry or attempt == OUTER_ATTEMPTS - 1:
                raise
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError):
            if not idempotent or attempt == OUTER_ATTEMPTS - 1:
                raise
        # Full jitter, so that many envdoctors do not retry in step.
        _sleep(min(20.0, 2.0 * 2 ** attempt) * (0.5 + random.random() / 2))  # noqa: S311
    raise AssertionError("unreachable")  # pragma: no cover


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    """The AWS error message of a ClientError."""
    return str(exc.response.get("Error", {}).get("Message", "")).strip() or error_code(exc)


@contextlib.contextmanager
def translated(doing: str, instance_type: str | None = None) -> Iterator[None]:
    """Turn boto3's exceptions into EnvdoctorErrors with a message and a hint."""
    try:
        yield
    except EnvdoctorError:
        raise
    except ClientError as exc:
        raise from_client_error(exc, doing, instance_type) from None
    except ProfileNotFound as exc:
        raise UsageError(f"AWS profile {exc.kwargs.get('profile')!r} is not configured",
                         hint="'aws configure list-profiles' lists them; leave out --profile "
                         "and AWS_PROFILE to use the default") from None
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UsageError(f"no usable AWS credentials: {exc}",
                         hint="run 'aws configure' or 'aws sso login', or pass --profile "
                         "NAME") from None
    except TokenRetrievalError as exc:
        raise UsageError(f"the AWS SSO session has expired: {exc}",
                         hint="run 'aws sso login' (with --profile NAME if you use one)"
                         ) from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        raise EnvdoctorError(f"cannot reach AWS while {doing}: {exc}",
                             hint="check the network (and any proxy); AWS_ENDPOINT_URL, if "
                             "set, must point at a running endpoint") from None
    except BotoCoreError as exc:
        raise EnvdoctorError(f"AWS error while {doing}: {exc}",
                             hint="rerun with -v for the traceback") from None


def from_client_error(exc: ClientError, doing: str,
                      instance_type: str | None = None) -> EnvdoctorError:
    """An EnvdoctorError (message + hint) for an AWS API error."""
    code, message = error_code(exc), error_message(exc)
    what = f"AWS refused {doing}: {message} ({code})"
    if code in _CREDENTIALS:
        return UsageError(f"AWS rejected the credentials while {doing}: {message} ({code})",
                          hint="check them with 'aws sts get-caller-identity'; renew a "
                          "temporary session ('aws sso login')")
    if code in ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
        return UsageError(what, hint="your IAM identity needs ec2:RunInstances, "
                          "ec2:CreateSecurityGroup, ec2:AuthorizeSecurityGroupIngress, "
                          "ec2:CreateKeyPair, ec2:CreateTags, ec2:Describe*, "
                          "ec2:TerminateInstances, ec2:DeleteSecurityGroup, ec2:DeleteKeyPair "
                          "and ssm:GetParameter")
    if code in _QUOTA:
        return UsageError(f"an AWS quota stops {doing}: {message} ({code})",
                          hint=quota_hint(instance_type))
    if code in ("InsufficientInstanceCapacity", "InsufficientCapacity", "Unsupported"):
        return UsageError(what, hint="AWS has no capacity of this type here right now: try "
                          "another --region, a --subnet in another availability zone, or "
                          "later")
    if code.startswith("InvalidInstanceType") or (
            code == "InvalidParameterValue" and "instance type" in message.lower()):
        return UsageError(what, hint="'envdoctor cloud gpus --provider aws' lists the GPU "
                          "types; not every region offers every type")
    if code.startswith("InvalidAMIID"):
        return UsageError(what, hint="check the image id and region ('aws ec2 describe-images "
                          "--image-ids ID'), or leave out --ami to use the planned image")
    if code == "OptInRequired":
        return UsageError(what, hint="enable the region for the account (or accept the "
                          "image's marketplace terms) first")
    if code in _THROTTLED:
        return EnvdoctorError(f"AWS kept throttling the requests while {doing} ({code})",
                              hint="wait a minute and run it again")
    return EnvdoctorError(what, hint="rerun with -v for the traceback; the AWS error code "
                          "above says what failed")


def quota_hint(instance_type: str | None) -> str:
    """Where to raise the quota that blocks a GPU family (Service Quotas codes)."""
    family = (instance_type or "").split(".")[0]
    codes = {"g": ("Running On-Demand G and VT instances", "L-DB2E81BA"),
             "p": ("Running On-Demand P instances", "L-417A185B")}
    name, code = codes.get(family[:1], ("the running instances quota of this family", None))
    if code is None:
        return ("new accounts start with 0 vCPUs for GPU families: request an increase in "
                "the Service Quotas console (EC2) for this family, then run it again")
    return (f"GPU families start at 0 vCPUs on new accounts: request more vCPUs for '{name}' "
            f"(aws service-quotas request-service-quota-increase --service-code ec2 "
            f"--quota-code {code} --desired-value N), or use --spot (a separate quota)")


# --------------------------------------------------------------------------- access


def caller_cidr(explicit: str | None) -> str:
    """The network SSH is opened to: ``--ssh-cidr`` or the caller's public address /32."""
    if explicit:
        try:
            net = ipaddress.ip_network(explicit.strip(), strict=False)
        except ValueError:
            raise UsageError(f"--ssh-cidr {explicit!r} is not an address or network",
                             hint="give your public address as 203.0.113.7/32") from None
        if net.prefixlen == 0:
            raise UsageError("--ssh-cidr would open SSH to the whole internet",
                             hint="give your own address (203.0.113.7/32) or your "
                             "organisation's range") from None
        return str(net)
    try:
        with urllib.request.urlopen(CHECKIP_URL, timeout=CHECKIP_TIMEOUT) as response:
            text = response.read(64).decode("ascii", "replace").strip()
        address = ipaddress.ip_address(text)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise UsageError(f"cannot find this machine's public address ({CHECKIP_URL}: "
                         f"{reason})",
                         hint="pass --ssh-cidr YOUR.PUBLIC.IP/32; envdoctor never opens SSH "
                         "to 0.0.0.0/0") from None
    return f"{address}/{address.max_prefixlen}"


# --------------------------------------------------------------------------- boxes


@dataclass(frozen=True)
class Box:
    """An instance as ``ls``, ``status``, ``ssh`` and ``down`` see it."""

    id: str
    state: str
    type: str
    region: str
    public_ip: str | None
    public_dns: str | None
    image_id: str | None
    key_name: str | None
    security_groups: tuple[str, ...]
    tags: dict[str, str]
    launched: dt.datetime | None
    lifecycle: str
    state_reason: str | None = None

    @property
    def managed(self) -> bool:
        """Created by envdoctor (carries ``managed-by=envdoctor``)."""
        return self.tags.get("managed-by") == MANAGED_BY

    @property
    def expires_at(self) -> str | None:
        """When the box stops itself (its ``expires-at`` tag)."""
        return self.tags.get("expires-at")

    @property
    def overdue(self) -> bool:
        """Still up after its expiry: the first-boot shutdown did not happen."""
        if self.state not in ("pending", "running") or not self.expires_at:
            return False
        try:
            expiry = dt.datetime.strptime(self.expires_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return False
        return expiry.replace(tzinfo=dt.timezone.utc) < dt.datetime.now(dt.timezone.utc)


def _box(region: str, row: dict[str, Any]) -> Box:
    tags = {t["Key"]: t["Value"] for t in row.get("Tags") or []}
    return Box(id=row["InstanceId"], state=row.get("State", {}).get("Name", "unknown"),
               type=row.get("InstanceType", "?"), region=region,
               public_ip=row.get("PublicIpAddress"), public_dns=row.get("PublicDnsName") or None,
               image_id=row.get("ImageId"), key_name=row.get("KeyName"),
               security_groups=tuple(g["GroupId"] for g in row.get("SecurityGroups") or []),
               tags=tags, launched=row.get("LaunchTime"),
               lifecycle=row.get("InstanceLifecycle") or "on-demand",
               state_reason=(row.get("StateReason") or {}).get("Message"))


def _describe(aws: Aws, **kwargs: object) -> list[Box]:
    boxes = []
    paginator = aws.ec2.get_paginator("describe_instances")
    for page in paginator.paginate(**kwargs):
        for reservation in page.get("Reservations", []):
            boxes += [_box(aws.region, row) for row in reservation.get("Instances", [])]
    return boxes


def list_boxes(aws: Aws, *, include_terminated: bool = False) -> list[Box]:
    """The envdoctor instances in the region (tagged ``managed-by=envdoctor``), oldest first."""
    filters = [{"Name": "tag:managed-by", "Values": [MANAGED_BY]}]
    if not include_terminated:
        filters.append({"Name": "instance-state-name", "Values": LIVE_STATES})
    with translated("listing instances"):
        boxes = call(_describe, aws=aws, Filters=filters)
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(boxes, key=lambda b: (b.launched or epoch, b.id))


def get_box(aws: Aws, instance_id: str) -> Box:
    """One instance by id, or a UsageError saying it is not in this region."""
    return get_boxes(aws, [instance_id])[0]


def get_boxes(aws: Aws, ids: list[str]) -> list[Box]:
    """Instances by id; a UsageError names the ones that do not exist here."""
    found: list[Box] = []
    missing: list[str] = []
    for instance_id in dict.fromkeys(ids):
        with translated(f"describing {instance_id}"):
            try:
                rows = call(_describe, aws=aws, InstanceIds=[instance_id])
            except ClientError as exc:
                if not error_code(exc).startswith("InvalidInstanceID"):
                    raise
                rows = []
        if rows:
            found += rows
        else:
            missing.append(instance_id)
    if missing:
        raise UsageError(f"no instance {', '.join(missing)} in {aws.region}",
                         hint=f"'envdoctor cloud ls --region {aws.region}' lists envdoctor's "
                         "boxes; pass --region if it is in another region")
    return found


# --------------------------------------------------------------------------- launch


@dataclass(frozen=True)
class LaunchOptions:
    """How to reach and build the box (from the command line)."""

    ssh_cidr: str
    key_name: str | None = None
    create_key: bool = False
    key_dir: Path | None = None
    ami: str | None = None
    subnet: str | None = None
    disk_gib: int = DEFAULT_DISK_GIB


@dataclass(frozen=True)
class Ami:
    """The image a launch uses, as EC2 describes it."""

    id: str
    name: str
    arch: str
    root_device: str
    root_gib: int | None
    created: str
    via: str
    """How it was found: the SSM parameter, a name search, or ``--ami``."""


@dataclass(frozen=True)
class Prepared:
    """A launch that has been checked against the account and not created yet."""

    box: BoxPlan
    options: LaunchOptions
    ami: Ami
    vpc_id: str
    subnet_id: str | None
    launch_id: str
    key_name: str | None
    key_path: Path | None
    login: str
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The Name tag and the name of the security group and key pair."""
        return f"envdoctor-{self.launch_id}"

    def summary(self) -> str:
        """What will be created, for the confirmation."""
        o = self.options
        lines = [f"region: {self.box.needs.region or '?'} · image {self.ami.id} "
                 f"({self.ami.name}; {self.ami.via})",
                 f"network: {self.vpc_id}" + (f" · subnet {self.subnet_id}" if self.subnet_id
                                               else " (default VPC)")
                 + f" · SSH (22/tcp) only from {o.ssh_cidr}",
                 f"disk: {o.disk_gib} GiB gp3, encrypted · instance metadata: IMDSv2 only · "
                 "shutdown terminates the box",
                 "key: " + (f"new key pair {self.key_name}, private key to {self.key_path} "
                            "(mode 0600)" if self.key_path else f"existing key pair "
                            f"{self.key_name}"),
                 "capacity: spot, on-demand if AWS has no spot capacity"
                 if self.box.needs.spot else "capacity: on-demand"]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def prepare(aws: Aws, box: BoxPlan, options: LaunchOptions) -> Prepared:
    """Check everything against the account before anything is created.

    The instance type must be offered in the region, the image must exist (and be for the
    instance's CPU), the network and key pair must exist, the key file must not.
    """
    box = replace(box, needs=replace(box.needs, region=aws.region))
    instance_type = box.instance.type
    if len(box.user_data.encode()) > USER_DATA_LIMIT:
        raise UsageError("the first-boot setup is over EC2's 16 KiB user-data limit",
                         hint="plan fewer frameworks for one box")
    with translated(f"checking {instance_type} in {aws.region}", instance_type):
        offered = call(aws.ec2.describe_instance_type_offerings, LocationType="region",
                       Filters=[{"Name": "instance-type", "Values": [instance_type]}])
        if not offered.get("InstanceTypeOfferings"):
            raise UsageError(f"{instance_type} is not offered in {aws.region}",
                             hint=f"choose another --region (aws ec2 describe-instance-type-"
                             f"offerings --location-type region --filters Name=instance-type,"
                             f"Values={instance_type} --region REGION) or another type")
    notes: list[str] = []
    ami = resolve_image(aws, box, options.ami)
    if ami.arch != box.instance.arch:
        raise UsageError(f"image {ami.id} is for {ami.arch}; {instance_type} is "
                         f"{box.instance.arch}",
                         hint="choose an image for the instance's CPU")
    if options.ami:
        box = _with_explicit_image(box, ami)
        notes.append(f"envdoctor does not know the NVIDIA driver of {ami.id}: the pre-flight "
                     "check could not judge the driver against the planned builds")
    if ami.root_gib and options.disk_gib < ami.root_gib:
        raise UsageError(f"--disk-gib {options.disk_gib} is smaller than the image's "
                         f"{ami.root_gib} GiB root volume",
                         hint=f"give --disk-gib {max(ami.root_gib, DEFAULT_DISK_GIB)}")
    vpc_id, subnet_id = _network(aws, options.subnet)
    launch_id = secrets.token_hex(4)
    key_name, key_path = options.key_name, None
    if options.create_key:
        key_name = f"envdoctor-{launch_id}"
        key_path = (options.key_dir or default_key_dir()) / f"{key_name}.pem"
        if key_path.exists():
            raise UsageError(f"{key_path} exists already", hint="pass another --key-dir")
    elif key_name:
        with translated(f"looking up key pair {key_name}"):
            try:
                call(aws.ec2.describe_key_pairs, KeyNames=[key_name])
            except ClientError as exc:
                if error_code(exc) != "InvalidKeyPair.NotFound":
                    raise
                raise UsageError(f"no key pair {key_name!r} in {aws.region}",
                                 hint="'aws ec2 describe-key-pairs' lists them; or pass "
                                 "--create-key") from None
    return Prepared(box=box, options=options, ami=ami, vpc_id=vpc_id, subnet_id=subnet_id,
                    launch_id=launch_id, key_name=key_name, key_path=key_path,
                    login=box.image.user, notes=tuple(notes))


def default_key_dir() -> Path:
    """Where ``--create-key`` writes the private key without ``--key-dir``."""
    return Path.home() / ".ssh"


def resolve_image(aws: Aws, box: BoxPlan, ami_id: str | None) -> Ami:
    """``--ami``, else the plan's image: its SSM parameter, else the newest by name."""
    image = box.image
    with translated("finding the image"):
        if ami_id:
            return _describe_image(aws, ami_id, via="--ami")
        if image.ssm_parameter:
            try:
                value = call(aws.client("ssm").get_parameter,
                             Name=image.ssm_parameter)["Parameter"]["Value"]
            except ClientError as exc:
                # Not published in this region (or not readable): search by name instead.
                if error_code(exc) in _CREDENTIALS:
                    raise
            else:
                return _describe_image(aws, value, via=f"SSM {image.ssm_parameter}")
        if not image.name_pattern:
            raise UsageError(f"envdoctor knows no way to find {image.name} in {aws.region}",
                             hint="pass --ami ami-… (an image with the NVIDIA driver)")
        found = call(aws.ec2.describe_images, Owners=["amazon"], Filters=[
            {"Name": "name", "Values": [image.name_pattern]},
            {"Name": "state", "Values": ["available"]},
            {"Name": "architecture", "Values": [image.arch]}]).get("Images", [])
    if not found:
        raise UsageError(f"no image named {image.name_pattern!r} in {aws.region}",
                         hint="pass --ami ami-… (an image with the NVIDIA driver), or another "
                         "--region")
    newest = max(found, key=lambda i: i.get("CreationDate", ""))
    return _ami(newest, via=f"newest {image.name_pattern!r}")


def _describe_image(aws: Aws, ami_id: str, *, via: str) -> Ami:
    try:
        rows = call(aws.ec2.describe_images, ImageIds=[ami_id]).get("Images", [])
    except ClientError as exc:
        if not error_code(exc).startswith("InvalidAMIID"):
            raise
        rows = []
    if not rows:
        raise UsageError(f"no image {ami_id} in {aws.region}",
                         hint="check the id and the region ('aws ec2 describe-images "
                         f"--image-ids {ami_id} --region {aws.region}')")
    return _ami(rows[0], via=via)


def _ami(row: dict[str, Any], *, via: str) -> Ami:
    root = row.get("RootDeviceName") or "/dev/xvda"
    size = next((m.get("Ebs", {}).get("VolumeSize") for m in row.get("BlockDeviceMappings", [])
                 if m.get("DeviceName") == root), None)
    return Ami(id=row["ImageId"], name=row.get("Name") or row["ImageId"],
               arch=row.get("Architecture", "x86_64"), root_device=root,
               root_gib=int(size) if size else None, created=row.get("CreationDate", ""),
               via=via)


def os_of_image(name: str) -> str | None:
    """The OS (as the knowledge base names it) an AMI's name says, if it says."""
    n = name.lower()
    if "amazon linux 2023" in n or "al2023" in n:
        return "amazonlinux2023"
    for version, codename in (("22.04", "jammy"), ("24.04", "noble")):
        if "ubuntu" in n and (version in n or codename in n):
            return f"ubuntu{version}"
    return None


def _with_explicit_image(box: BoxPlan, ami: Ami) -> BoxPlan:
    """Re-check the plan with an image whose driver envdoctor does not know."""
    from envdoctor.cloud.plan import check_box  # noqa: PLC0415 - the plan's own check
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415

    image = Image(provider="aws", name=ami.name, os=os_of_image(ami.name) or box.image.os,
                  arch=ami.arch, driver=None, cuda=None)
    # The same start time as the plan, so the expiry the confirmation shows stays true.
    expires = dt.datetime.strptime(box.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)
    start = expires - dt.timedelta(hours=box.needs.max_hours)
    return check_box(KnowledgeBase(), box.needs, box.instance, image, now=start,
                    envdoctor_spec=None)


def _network(aws: Aws, subnet: str | None) -> tuple[str, str | None]:
    with translated("finding the network"):
        if subnet:
            try:
                rows = call(aws.ec2.describe_subnets, SubnetIds=[subnet]).get("Subnets", [])
            except ClientError as exc:
                if not error_code(exc).startswith("InvalidSubnetID"):
                    raise
                rows = []
            if not rows:
                raise UsageError(f"no subnet {subnet} in {aws.region}",
                                 hint="'aws ec2 describe-subnets' lists them")
            return rows[0]["VpcId"], subnet
        vpcs = call(aws.ec2.describe_vpcs,
                    Filters=[{"Name": "isDefault", "Values": ["true"]}]).get("Vpcs", [])
    if not vpcs:
        raise UsageError(f"{aws.region} has no default VPC",
                         hint="pass --subnet subnet-… (one whose instances get a public IP)")
    return vpcs[0]["VpcId"], None


def _tag_spec(kind: str, tags: dict[str, str]) -> dict[str, Any]:
    # EC2 tag values stop at 256 characters.
    return {"ResourceType": kind,
            "Tags": [{"Key": k, "Value": v[:256]} for k, v in tags.items()]}


def resource_tags(prep: Prepared) -> dict[str, str]:
    """The tags of every resource a launch creates."""
    return {**prep.box.tags, "Name": prep.name, TAG_LAUNCH: prep.launch_id}


@dataclass
class Launched:
    """What a launch made."""

    box: Box
    spot_fallback: str | None = None
    started: bool = True


def launch(aws: Aws, prep: Prepared, echo: Echo) -> Launched:
    """Create the key pair, security group and instance; undo all of it if a step fails."""
    created: list[tuple[str, str]] = []
    tags = resource_tags(prep)
    instance_type = prep.box.instance.type
    step = "creating the key pair"
    try:
        if prep.key_path is not None and prep.key_name:
            with translated(step, instance_type):
                material = call(aws.ec2.create_key_pair, idempotent=False,
                                KeyName=prep.key_name, KeyType="ed25519",
                                TagSpecifications=[_tag_spec("key-pair", tags)])["KeyMaterial"]
            created.append(("key-pair", prep.key_name))
            write_private_key(prep.key_path, material)
            created.append(("key-file", str(prep.key_path)))
            echo(f"created key pair {prep.key_name} (private key: {prep.key_path})")
        step = "creating the security group"
        with translated(step, instance_type):
            group = call(aws.ec2.create_security_group, idempotent=False, GroupName=prep.name,
                         Description="envdoctor GPU box: SSH from the launching machine only",
                         VpcId=prep.vpc_id,
                         TagSpecifications=[_tag_spec("security-group", tags)])["GroupId"]
            created.append(("security-group", group))
            step = "opening SSH to " + prep.options.ssh_cidr
            call(aws.ec2.authorize_security_group_ingress, idempotent=False, GroupId=group,
                 IpPermissions=[ssh_permission(prep.options.ssh_cidr)])
        echo(f"created security group {group} (SSH from {prep.options.ssh_cidr} only)")
        step = f"starting {instance_type}"
        row, fallback = _run_instance(aws, prep, group, tags, echo)
        created.append(("instance", row["InstanceId"]))
        echo(f"started instance {row['InstanceId']} ({instance_type}"
             f"{', spot' if row.get('InstanceLifecycle') == 'spot' else ''})")
        step = f"waiting for {row['InstanceId']} to run"
        box, started = wait_running(aws, row["InstanceId"])
        if box.state in ("shutting-down", "terminated"):
            raise EnvdoctorError(f"the instance stopped while starting: "
                                 f"{box.state_reason or box.state}",
                                 hint="'aws ec2 describe-instances --instance-ids "
                                 f"{box.id}' shows the reason (often an EBS encryption key "
                                 "the account cannot use, or capacity)")
        return Launched(box=box, spot_fallback=fallback, started=started)
    except BaseException as exc:
        cleaned, left = rollback(aws, created)
        done = (" Cleaned up what it had created: " + ", ".join(cleaned) + "." if cleaned
                else " Nothing had been created.")
        if left:
            done += (" Could not delete " + "; ".join(left)
                     + " ('envdoctor cloud down --all' tries again).")
        if isinstance(exc, ClientError | BotoCoreError):
            err = _as_error(exc, step, instance_type)
        elif isinstance(exc, EnvdoctorError):
            err = exc
        else:  # Ctrl-C, or a bug: say what was cleaned up, then let it go on
            echo(f"launch stopped while {step}.{done}")
            raise
        raise type(err)(f"launch failed: {err.message.rstrip('.')}.{done}",
                        hint=err.hint) from None


def _as_error(exc: ClientError | BotoCoreError, step: str,
              instance_type: str | None) -> EnvdoctorError:
    try:
        with translated(step, instance_type):
            raise exc
    except EnvdoctorError as err:
        return err
    raise AssertionError("unreachable")  # pragma: no cover


def ssh_permission(cidr: str) -> dict[str, Any]:
    """Ingress for SSH from one network, and nothing else."""
    net = ipaddress.ip_network(cidr, strict=False)
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}
    described = {"Description": "SSH from the machine that ran envdoctor cloud launch"}
    if net.version == 6:
        rule["Ipv6Ranges"] = [{"CidrIpv6": str(net), **described}]
    else:
        rule["IpRanges"] = [{"CidrIp": str(net), **described}]
    return rule


def write_private_key(path: Path, material: str) -> None:
    """Write the private key readable by the user only (created with mode 0600)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(material if material.endswith("\n") else material + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the private key to {path}: {exc.strerror}",
                         hint="pass a --key-dir you can write to") from None


def _run_instance(aws: Aws, prep: Prepared, group: str, tags: dict[str, str],
                  echo: Echo) -> tuple[dict[str, Any], str | None]:
    o = prep.options
    params: dict[str, Any] = {
        "ImageId": prep.ami.id, "InstanceType": prep.box.instance.type,
        "MinCount": 1, "MaxCount": 1, "UserData": prep.box.user_data,
        "SecurityGroupIds": [group],
        # IMDSv2 only: a process on the box cannot be tricked into leaking the role's
        # credentials through a plain GET.
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        # The first boot's `shutdown -h` then terminates: the cost guard ends the bill.
        "InstanceInitiatedShutdownBehavior": "terminate",
        "BlockDeviceMappings": [{"DeviceName": prep.ami.root_device, "Ebs": {
            "VolumeSize": o.disk_gib, "VolumeType": "gp3", "Encrypted": True,
            "DeleteOnTermination": True}}],
        "TagSpecifications": [_tag_spec("instance", {**tags, TAG_LOGIN: prep.login}),
                              _tag_spec("volume", tags)],
    }
    if prep.key_name:
        params["KeyName"] = prep.key_name
    if prep.subnet_id:
        params["SubnetId"] = prep.subnet_id
    instance_type = prep.box.instance.type
    fallback = None
    if prep.box.needs.spot:
        spot = {"MarketType": "spot", "SpotOptions": {
            "SpotInstanceType": "one-time", "InstanceInterruptionBehavior": "terminate"}}
        try:
            # The client token makes a retried RunInstances start one instance, not two.
            return call(aws.ec2.run_instances, InstanceMarketOptions=spot,
                        ClientToken=f"{prep.name}-spot", **params)["Instances"][0], None
        except ClientError as exc:
            if error_code(exc) not in _SPOT_FALLBACK:
                raise from_client_error(exc, "starting a spot instance", instance_type
                                        ) from None
            fallback = f"{error_code(exc)}: {error_message(exc)}"
            echo(f"no spot capacity ({error_code(exc)}); starting on-demand instead")
    with translated(f"starting {instance_type}", instance_type):
        row = call(aws.ec2.run_instances, ClientToken=f"{prep.name}-od", **params)
    return row["Instances"][0], fallback


def wait_running(aws: Aws, instance_id: str,
                 timeout: float = WAIT_RUNNING_S) -> tuple[Box, bool]:
    """Wait until the instance runs (or ends); return it and whether it is running."""
    deadline = time.monotonic() + timeout
    while True:
        with translated(f"describing {instance_id}"):
            found = call(_describe, aws=aws, InstanceIds=[instance_id])
        box = found[0] if found else None
        if box is not None and box.state != "pending":
            return box, box.state == "running"
        if time.monotonic() >= deadline:
            if box is None:
                return get_box(aws, instance_id), False
            return box, False
        _sleep(POLL_S)


def rollback(aws: Aws, created: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Delete what a failed launch created, newest first; return (deleted, left)."""
    cleaned: list[str] = []
    left: list[str] = []
    for kind, ident in reversed(created):
        try:
            if kind == "instance":
                call(aws.ec2.terminate_instances, InstanceIds=[ident])
                wait_terminated(aws, [ident])
                cleaned.append(f"instance {ident} (terminated)")
            elif kind == "security-group":
                delete_security_group(aws, ident)
                cleaned.append(f"security group {ident}")
            elif kind == "key-pair":
                call(aws.ec2.delete_key_pair, KeyName=ident)
                cleaned.append(f"key pair {ident}")
            elif kind == "key-file":
                Path(ident).unlink(missing_ok=True)
                cleaned.append(f"key file {ident}")
        except (ClientError, BotoCoreError, OSError, EnvdoctorError) as exc:
            reason = error_message(exc) if isinstance(exc, ClientError) else str(exc)
            left.append(f"{kind} {ident} ({reason})")
    return cleaned, left


def wait_terminated(aws: Aws, ids: list[str], timeout: float = WAIT_TERMINATED_S) -> list[str]:
    """Wait until the instances are terminated; return those that are not yet."""
    deadline = time.monotonic() + timeout
    while True:
        boxes = call(_describe, aws=aws, InstanceIds=ids)
        waiting = [b.id for b in boxes if b.state != "terminated"]
        if not waiting or time.monotonic() >= deadline:
            return waiting
        _sleep(POLL_S)


def delete_security_group(aws: Aws, group_id: str, timeout: float = 120.0) -> None:
    """Delete a group; the network interface of a just-terminated instance may hold it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            call(aws.ec2.delete_security_group, GroupId=group_id)
            return
        except ClientError as exc:
            if error_code(exc) == "InvalidGroup.NotFound":
                return
            if error_code(exc) != "DependencyViolation" or time.monotonic() >= deadline:
                raise
        _sleep(POLL_S)


# --------------------------------------------------------------------------- status, ssh


def console_self_check(aws: Aws, instance_id: str) -> tuple[SelfCheck, bool]:
    """The first-boot self-check from the serial console; and whether there was output."""
    try:
        with translated(f"reading the console of {instance_id}"):
            output = call(aws.ec2.get_console_output,
                          InstanceId=instance_id).get("Output") or ""
    except UsageError:
        raise  # credentials, permissions: the user has to act
    except EnvdoctorError as exc:
        # A box that is gone (or not started) may have no console to read; say so.
        return SelfCheck(False, note=f"the console cannot be read: {exc.message}"), True
    return read_self_check(output), bool(output.strip())


def login_of(aws: Aws, box: Box) -> str:
    """The SSH user: the launch's tag, else what the image's name says."""
    if box.tags.get(TAG_LOGIN):
        return box.tags[TAG_LOGIN]
    name = ""
    if box.image_id:
        with contextlib.suppress(ClientError, BotoCoreError, UsageError):
            name = _describe_image(aws, box.image_id, via="instance").name
    from envdoctor.knowledge import KnowledgeBase  # noqa: PLC0415

    for row in KnowledgeBase().table("cloud")["images"]:
        if row.get("name_pattern") and fnmatch.fnmatchcase(name, row["name_pattern"]):
            return "ec2-user" if str(row.get("os", "")).startswith("amazonlinux") else "ubuntu"
    return "ubuntu" if "ubuntu" in name.lower() else "ec2-user"


def ssh_command(aws: Aws, box: Box, key_dir: Path | None) -> tuple[str, list[str]]:
    """The ssh command line for a box, and notes for the user."""
    notes = []
    address = box.public_ip or box.public_dns
    if not address:
        raise EnvdoctorError(f"{box.id} has no public address (it is {box.state})",
                             hint="a stopped or terminated box has none; a box in a subnet "
                             "without public IPs is reached through a bastion or SSM")
    parts = ["ssh"]
    if box.key_name:
        key = (key_dir or default_key_dir()) / f"{box.key_name}.pem"
        parts += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
        if not key.exists():
            notes.append(f"{key} is not here: use the private key of key pair "
                         f"{box.key_name} (--key-dir DIR says where it is)")
    else:
        notes.append(f"{box.id} was started without a key pair")
    parts.append(f"{login_of(aws, box)}@{address}")
    return " ".join(parts), notes


# --------------------------------------------------------------------------- down


def select_for_down(aws: Aws, ids: list[str], everything: bool) -> list[Box]:
    """The instances ``down`` will terminate; refuses (touching nothing) any not ours."""
    if everything:
        return list_boxes(aws)
    boxes = get_boxes(aws, ids)
    foreign = [b.id for b in boxes if not b.managed]
    if foreign:
        raise UsageError(f"{', '.join(foreign)} {'is' if len(foreign) == 1 else 'are'} not "
                         f"managed by envdoctor (no managed-by={MANAGED_BY} tag): nothing was "
                         "terminated",
                         hint="envdoctor only removes what it created; terminate other "
                         "instances yourself ('aws ec2 terminate-instances')")
    return boxes


@dataclass
class DownReport:
    """What ``down`` did."""

    terminated: list[str] = field(default_factory=list)
    still_stopping: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def tear_down(aws: Aws, boxes: list[Box], *, sweep: bool, key_dir: Path | None,
              echo: Echo) -> DownReport:
    """Terminate the boxes, then delete envdoctor's groups and keys no instance uses."""
    report = DownReport()
    live = [b.id for b in boxes if b.state != "terminated"]
    with translated("terminating instances"):
        if live:
            call(aws.ec2.terminate_instances, InstanceIds=live)
            for instance_id in live:
                echo(f"terminating {instance_id}")
        report.terminated = live
        report.still_stopping = wait_terminated(aws, live) if live else []
    groups = {g for b in boxes for g in b.security_groups}
    keys = {b.key_name for b in boxes if b.key_name}
    with translated("finding envdoctor's security groups and key pairs"):
        owned_groups = {g["GroupId"]: g for g in call(
            aws.ec2.describe_security_groups,
            Filters=[{"Name": "tag:managed-by", "Values": [MANAGED_BY]}])["SecurityGroups"]}
        owned_keys = {k["KeyName"] for k in call(
            aws.ec2.describe_key_pairs,
            Filters=[{"Name": "tag:managed-by", "Values": [MANAGED_BY]}])["KeyPairs"]}
    if sweep:  # --all: also what an interrupted launch or down left behind
        groups |= set(owned_groups)
        keys |= owned_keys
    for group in sorted(groups & set(owned_groups)):
        users = _users(aws, "instance.group-id", group)
        if users:
            report.kept.append(f"security group {group} (used by {', '.join(users)})")
            continue
        try:
            with translated(f"deleting security group {group}"):
                delete_security_group(aws, group)
            report.deleted.append(f"security group {group}")
        except EnvdoctorError as exc:
            report.kept.append(f"security group {group} ({exc.message})")
    for key in sorted(keys & owned_keys):
        users = _users(aws, "key-name", key)
        if users:
            report.kept.append(f"key pair {key} (used by {', '.join(users)})")
            continue
        try:
            with translated(f"deleting key pair {key}"):
                call(aws.ec2.delete_key_pair, KeyName=key)
        except EnvdoctorError as exc:
            report.kept.append(f"key pair {key} ({exc.message})")
            continue
        report.deleted.append(f"key pair {key}")
        path = (key_dir or default_key_dir()) / f"{key}.pem"
        if key.startswith("envdoctor-") and path.is_file():
            path.unlink()
            report.deleted.append(f"key file {path}")
    return report


def _users(aws: Aws, name: str, value: str) -> list[str]:
    with translated(f"finding the instances that use {value}"):
        boxes = call(_describe, aws=aws, Filters=[
            {"Name": name, "Values": [value]},
            {"Name": "instance-state-name", "Values": LIVE_STATES}])
    return [b.id for b in boxes if b.state != "terminated"]
