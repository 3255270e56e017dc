"""Azure: the ARM template, its parameters file and deploy.sh, and the SDK launch's guards."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from envdoctor.cli import main
from envdoctor.cloud import azure
from envdoctor.cloud.plan import BoxPlan, Needs, plan_box
from envdoctor.errors import UsageError
from envdoctor.knowledge import KnowledgeBase

KB = KnowledgeBase()
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
CLOUD_INIT = shutil.which("cloud-init")
SSH_KEYGEN = shutil.which("ssh-keygen")

PLANS = {
    # 4 hours: expires 16:00 UTC.
    "a100-torch": Needs(provider="azure", gpu="A100", frameworks=("torch",), owner="ci"),
    # Spot, 2.5 hours: expires 14:30 UTC.
    "t4-tensorflow-spot": Needs(provider="azure", gpu="T4", frameworks=("tensorflow",),
                                spot=True, max_hours=2.5, owner="ci"),
    # The ROCm image on Ubuntu 24.04.
    "mi300x-torch": Needs(provider="azure", gpu="MI300X", frameworks=("torch",), owner="ci"),
}


def plan(name: str) -> BoxPlan:
    box = plan_box(KB, PLANS[name], now=NOW)
    assert not box.blocked, box.findings
    return box


@pytest.fixture(params=sorted(PLANS))
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[BoxPlan, Path]:
    box = plan(request.param)
    paths = azure.write_deployment(box, tmp_path)
    assert [p.name for p in paths] == ["azuredeploy.json", "azuredeploy.parameters.json",
                                       "deploy.sh"]
    return box, tmp_path


def load(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def strings(node: Any) -> list[str]:
    """Every string value in a JSON document."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def the(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [r for r in template["resources"] if r["type"] == kind]
    assert len(found) == 1, f"{kind}: {len(found)} resources"
    return found[0]


def resolve(template: dict[str, Any], text: str) -> Any:
    """The value of a plain ``[variables('x')]`` / ``[parameters('x')]`` (its default)."""
    m = re.fullmatch(r"\[(variables|parameters)\('([^']+)'\)\]", text)
    if not m:
        return text
    if m.group(1) == "variables":
        return template["variables"][m.group(2)]
    return template["parameters"][m.group(2)]["defaultValue"]


RESOURCE_ID = re.compile(r"resourceId\('([^']+)'((?:,\s*[a-z]+\('[^']+'\)|,\s*'[^']*')*)\)")


def resource_ids(template: dict[str, Any], text: str) -> list[tuple[str, str]]:
    """``(type, name)`` of each ``resourceId(...)`` in an expression, names resolved."""
    out = []
    for m in RESOURCE_ID.finditer(text):
        parts = []
        for arg in re.findall(r"[a-z]+\('[^']+'\)|'[^']*'", m.group(2)):
            parts.append(arg.strip("'") if arg.startswith("'")
                         else resolve(template, f"[{arg}]"))
        out.append((m.group(1), "/".join(parts)))
    return out


def declared(template: dict[str, Any]) -> set[tuple[str, str]]:
    """``(type, name)`` of every resource the template creates, subnets included."""
    out = set()
    for r in template["resources"]:
        name = resolve(template, r["name"])
        out.add((r["type"], name))
        for subnet in r.get("properties", {}).get("subnets", []):
            out.add((f"{r['type']}/subnets", f"{name}/{resolve(template, subnet['name'])}"))
    return out


# --------------------------------------------------------------------------- template


def test_the_template_is_an_arm_deployment_template(written: tuple[BoxPlan, Path]) -> None:
    box, folder = written
    template = load(folder, "azuredeploy.json")
    assert template["$schema"] == ("https://schema.management.azure.com/schemas/2019-04-01/"
                                   "deploymentTemplate.json#")
    assert template["contentVersion"] == "1.0.0.0"
    assert {"parameters", "variables", "resources", "outputs"} <= set(template)
    kinds = sorted(r["type"] for r in template["resources"])
    assert kinds == sorted([
        "Microsoft.Network/networkSecurityGroups", "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/publicIPAddresses", "Microsoft.Network/networkInterfaces",
        "Microsoft.Compute/virtualMachines", "Microsoft.DevTestLab/schedules"])
    for r in template["resources"]:
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", r["apiVersion"]), r["type"]
        assert r["location"] == "[parameters('location')]"
        assert r["tags"] == box.tags, f"{r['type']} is not tagged"
    assert box.tags["managed-by"] == "envdoctor" and box.tags["expires-at"] == box.expires_at


def test_every_parameter_and_variable_reference_resolves(written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    template = load(folder, "azuredeploy.json")
    used = {"parameters": set(), "variables": set()}
    for text in strings(template):
        for kind, name in re.findall(r"\b(parameters|variables)\('([^']*)'\)", text):
            assert text.startswith("[") and text.endswith("]"), text
            assert name in template[kind], f"{kind}('{name}') is not defined"
            used[kind].add(name)
    assert used["parameters"] == set(template["parameters"]), "unused parameters"
    assert used["variables"] == set(template["variables"]), "unused variables"


def test_every_dependency_and_resource_id_names_a_resource_of_the_template(
        written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    template = load(folder, "azuredeploy.json")
    known = declared(template)
    referenced = [ref for text in strings(template) for ref in resource_ids(template, text)]
    assert len(referenced) >= 10
    assert set(referenced) <= known, set(referenced) - known
    for r in template["resources"]:
        for dep in r.get("dependsOn", []):
            ids = resource_ids(template, dep)
            assert len(ids) == 1 and ids[0] in known, dep
    # Each resource depends on what it refers to (ARM deploys in parallel otherwise).
    for r in template["resources"]:
        deps = {i for d in r.get("dependsOn", []) for i in resource_ids(template, d)}
        refs = {i for s in strings(r["properties"]) for i in resource_ids(template, s)}
        refs = {(t.removesuffix("/subnets"), n.split("/")[0]) if t.endswith("/subnets")
                else (t, n) for t, n in refs}
        assert refs <= deps, f"{r['type']} refers to {refs - deps} without depending on it"


def test_ssh_is_open_to_the_given_address_only(written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    template = load(folder, "azuredeploy.json")
    rules = the(template, "Microsoft.Network/networkSecurityGroups")["properties"][
        "securityRules"]
    allowed = [r["properties"] for r in rules if r["properties"]["access"] == "Allow"
               and r["properties"]["direction"] == "Inbound"]
    assert allowed == [r["properties"] for r in rules]
    assert len(allowed) == 1
    ssh = allowed[0]
    assert (ssh["protocol"], ssh["destinationPortRange"]) == ("Tcp", "22")
    assert ssh["sourceAddressPrefix"] == "[parameters('sshSourceAddress')]"
    assert "sourceAddressPrefixes" not in ssh
    assert "defaultValue" not in template["parameters"]["sshSourceAddress"]
    text = json.dumps(template)
    for world in ('"*"', '"Internet"', "0.0.0.0/0", '"Any"', "::/0"):
        assert f'"sourceAddressPrefix": {world}' not in text
    # The NIC and the subnet both carry the group.
    nsg_id = "[resourceId('Microsoft.Network/networkSecurityGroups', variables('nsgName'))]"
    nic = the(template, "Microsoft.Network/networkInterfaces")["properties"]
    vnet = the(template, "Microsoft.Network/virtualNetworks")["properties"]
    assert nic["networkSecurityGroup"]["id"] == nsg_id
    assert vnet["subnets"][0]["properties"]["networkSecurityGroup"]["id"] == nsg_id


def test_the_vm_is_the_planned_size_and_image_with_ssh_key_login_only(
        written: tuple[BoxPlan, Path]) -> None:
    box, folder = written
    template = load(folder, "azuredeploy.json")
    vm = the(template, "Microsoft.Compute/virtualMachines")["properties"]
    assert vm["hardwareProfile"]["vmSize"] == box.instance.type
    image = vm["storageProfile"]["imageReference"]
    assert ":".join([image["publisher"], image["offer"], image["sku"], image["version"]]) \
        == box.image.urn
    os_profile = vm["osProfile"]
    assert resolve(template, os_profile["adminUsername"]) == "azureuser"
    linux = os_profile["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is True
    assert "adminPassword" not in os_profile
    assert "password" not in json.dumps(template).lower().replace(
        "disablepasswordauthentication", "").replace("passwords are disabled", "")
    assert linux["ssh"]["publicKeys"] == [{"path": "/home/azureuser/.ssh/authorized_keys",
                                           "keyData": "[parameters('sshPublicKey')]"}]
    assert base64.b64decode(os_profile["customData"]).decode() == box.user_data
    assert vm["diagnosticsProfile"]["bootDiagnostics"]["enabled"] is True


def test_the_os_disk_is_premium_sized_for_frameworks_and_encrypted_at_host(
        written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    template = load(folder, "azuredeploy.json")
    vm = the(template, "Microsoft.Compute/virtualMachines")["properties"]
    disk = vm["storageProfile"]["osDisk"]
    assert disk["managedDisk"]["storageAccountType"] == "Premium_LRS"
    assert disk["diskSizeGB"] >= 128
    assert disk["deleteOption"] == "Delete"  # removing the VM removes its disk and NIC
    assert vm["networkProfile"]["networkInterfaces"][0]["properties"]["deleteOption"] \
        == "Delete"
    at_host = vm["securityProfile"]["encryptionAtHost"]
    assert at_host == "[parameters('encryptionAtHost')]"
    assert resolve(template, at_host) is True
    parameters = load(folder, "azuredeploy.parameters.json")["parameters"]
    assert parameters["encryptionAtHost"] == {"value": True}


def test_spot_settings_appear_only_for_a_spot_plan() -> None:
    on_demand = azure.build_template(plan("a100-torch"))
    spot = azure.build_template(plan("t4-tensorflow-spot"))
    vm = the(on_demand, "Microsoft.Compute/virtualMachines")["properties"]
    assert not {"priority", "evictionPolicy", "billingProfile"} & set(vm)
    vm = the(spot, "Microsoft.Compute/virtualMachines")["properties"]
    assert (vm["priority"], vm["evictionPolicy"], vm["billingProfile"]) == \
        ("Spot", "Deallocate", {"maxPrice": -1})


@pytest.mark.parametrize(("name", "time"), [("a100-torch", "1600"),
                                            ("t4-tensorflow-spot", "1430")])
def test_the_auto_shutdown_schedule_stops_the_vm_at_the_expiry(name: str, time: str) -> None:
    box = plan(name)
    assert box.expires_at[11:16].replace(":", "") == time
    template = azure.build_template(box)
    schedule = the(template, "Microsoft.DevTestLab/schedules")
    vm_name = template["variables"]["vmName"]
    assert resolve(template, schedule["name"]) == f"shutdown-computevm-{vm_name}"
    props = schedule["properties"]
    assert props["dailyRecurrence"] == {"time": time}
    assert (props["timeZoneId"], props["taskType"], props["status"]) == \
        ("UTC", "ComputeVmShutdownTask", "Enabled")
    assert resource_ids(template, props["targetResourceId"]) == \
        [("Microsoft.Compute/virtualMachines", vm_name)]
    # The first boot's own guard is still there.
    assert re.search(r"shutdown -h \+\d+ ", box.user_data)


def test_outputs_give_the_public_ip_and_the_ssh_command() -> None:
    template = azure.build_template(plan("a100-torch"))
    outputs = template["outputs"]
    pip = "resourceId('Microsoft.Network/publicIPAddresses', variables('publicIpName'))"
    assert outputs["publicIpAddress"]["value"] == f"[reference({pip}, '2024-05-01').ipAddress]"
    assert outputs["sshCommand"]["value"].startswith("[format('ssh {0}@{1}', "
                                                     "variables('adminUsername'), reference(")
    assert outputs["vmId"]["value"] == \
        "[resourceId('Microsoft.Compute/virtualMachines', variables('vmName'))]"


def test_vm_names_are_valid_azure_names() -> None:
    for name in PLANS:
        vm = azure.vm_name(plan(name))
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]", vm), vm
    assert azure.vm_name(plan("a100-torch")) == "envdoctor-a100-80gb-20261123t1600"


@pytest.mark.skipif(CLOUD_INIT is None, reason="cloud-init (Debian's cloud-init package, "
                    "installed by scripts/test) is not on PATH")
def test_custom_data_is_valid_cloud_config(written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    vm = the(load(folder, "azuredeploy.json"), "Microsoft.Compute/virtualMachines")
    path = folder / "custom-data.yaml"
    path.write_bytes(base64.b64decode(vm["properties"]["osProfile"]["customData"]))
    result = subprocess.run([str(CLOUD_INIT), "schema", "--config-file", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


# --------------------------------------------------------------------------- parameters


def test_the_parameters_file_is_valid_and_holds_no_secret(written: tuple[BoxPlan, Path]) -> None:
    _, folder = written
    template = load(folder, "azuredeploy.json")
    document = load(folder, "azuredeploy.parameters.json")
    assert document["$schema"] == ("https://schema.management.azure.com/schemas/2019-04-01/"
                                   "deploymentParameters.json#")
    assert document["contentVersion"] == "1.0.0.0"
    for name, value in document["parameters"].items():
        assert name in template["parameters"]
        assert set(value) == {"value"}
    # What has no default must come from the command line: exactly what deploy.sh passes.
    required = {n for n, p in template["parameters"].items() if "defaultValue" not in p}
    assert required == {"sshPublicKey", "sshSourceAddress"}
    assert not required & set(document["parameters"])
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY" not in text, path.name
        assert not re.search(r"ssh-(rsa|ed25519) AAAA", text), path.name
        assert "securestring" not in text.lower() and "secret" not in text.lower(), path.name


# --------------------------------------------------------------------------- deploy.sh


def test_deploy_sh_has_the_exact_az_commands(written: tuple[BoxPlan, Path]) -> None:
    box, folder = written
    script = folder / "deploy.sh"
    assert os.access(script, os.X_OK)
    lines = script.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    tags = " ".join(f"{k}={v}" for k, v in box.tags.items())
    assert tags.startswith("managed-by=envdoctor owner=ci expires-at=2026-11-23T")
    assert ('az group create --name "$RESOURCE_GROUP" --location "$LOCATION" '
            f"--tags {tags}") in lines
    assert ('az deployment group create --resource-group "$RESOURCE_GROUP" '
            "--template-file azuredeploy.json --parameters @azuredeploy.parameters.json "
            'sshPublicKey=@~/.ssh/id_rsa.pub sshSourceAddress="$CALLER_IP/32"') in lines
    rg = azure.default_resource_group(box)
    assert f'RESOURCE_GROUP="${{RESOURCE_GROUP:-{rg}}}"' in lines
    assert 'LOCATION="${LOCATION:-eastus}"' in lines
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def run_deploy(folder: Path, home: Path, caller_ip: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "CALLER_IP": caller_ip}
    return subprocess.run(["bash", str(folder / "deploy.sh")], capture_output=True, text=True,
                          env=env, timeout=30, check=False)


def test_deploy_sh_stops_before_az_without_an_address_or_a_key(tmp_path: Path) -> None:
    folder = tmp_path / "setup"
    folder.mkdir()
    azure.write_deployment(plan("a100-torch"), folder)
    home = tmp_path / "home"
    home.mkdir()
    result = run_deploy(folder, home, "<html>rate limited</html>")
    assert result.returncode == 1
    assert "cannot tell this machine's public IPv4 address" in result.stderr
    result = run_deploy(folder, home, "203.0.113.7")
    assert result.returncode == 1
    assert "no ~/.ssh/id_rsa.pub: make one with ssh-keygen" in result.stderr


def test_cli_plan_azure_writes_the_deployment(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cloud", "plan", "azure", "--gpu", "A100", "-f", "torch", "-o",
                 str(tmp_path)])
    capsys.readouterr()
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "azuredeploy.json", "azuredeploy.parameters.json", "deploy.sh", "user-data.yaml"]
    template = load(tmp_path, "azuredeploy.json")
    vm = the(template, "Microsoft.Compute/virtualMachines")["properties"]
    assert base64.b64decode(vm["osProfile"]["customData"]).decode() == \
        (tmp_path / "user-data.yaml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- launch


@pytest.fixture
def key_pair(tmp_path: Path) -> Path:
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen (openssh-client) is not on PATH")
    key = tmp_path / "id_ed25519"
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "ci@envdoctor", "-f",
                    str(key)], check=True)
    return key


@pytest.fixture
def no_azure_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Azure SDK is absent (as without the extra), even where it is installed."""
    for name in ("azure", "azure.core", "azure.core.exceptions", "azure.identity",
                 "azure.mgmt", "azure.mgmt.resource", "azure.mgmt.resource.resources",
                 "azure.mgmt.resource.deployments"):
        monkeypatch.setitem(sys.modules, name, None)


def test_launch_without_the_sdk_says_how_to_install_it(no_azure_sdk: None) -> None:
    with pytest.raises(UsageError) as caught:
        azure.launch(plan("a100-torch"), resource_group=None, location=None,
                     ssh_public_key="~/.ssh/id_ed25519.pub", ssh_cidr="203.0.113.7/32",
                     yes=True)
    assert caught.value.message == "cloud launch azure needs the Azure SDK"
    assert caught.value.hint == "pip install 'envdoctor[azure]'"


def test_cli_launch_azure_without_the_sdk_exits_2(no_azure_sdk: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cloud", "launch", "azure", "--gpu", "A100", "-f", "torch", "--yes",
                 "--ssh-cidr", "203.0.113.7/32"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.splitlines() == ["error: cloud launch azure needs the Azure SDK",
                                         "hint: pip install 'envdoctor[azure]'"]


def test_importing_the_azure_module_loads_no_azure_package(tmp_path: Path) -> None:
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from envdoctor.cloud import azure, skypilot\n"
            "from envdoctor.cloud.plan import Needs, plan_box\n"
            "from envdoctor.knowledge import KnowledgeBase\n"
            "box = plan_box(KnowledgeBase(), Needs(provider='azure', gpu='T4'))\n"
            f"azure.write_deployment(box, Path({str(tmp_path)!r}))\n"
            "skypilot.render_task(box)\n"
            "print(sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "*", "Internet", "any", "::/0", "not-an-ip"])
def test_ssh_is_never_opened_to_the_world(cidr: str) -> None:
    with pytest.raises(UsageError, match=r"whole Internet|not an IP address") as caught:
        azure.check_ssh_cidr(cidr)
    assert caught.value.hint == "give your own address, a.b.c.d/32"


def test_ssh_cidr_is_normalised() -> None:
    assert azure.check_ssh_cidr("203.0.113.7") == "203.0.113.7/32"
    assert azure.check_ssh_cidr(" 198.51.100.0/28 ") == "198.51.100.0/28"


def test_launch_takes_a_public_key_never_a_private_one(key_pair: Path, tmp_path: Path) -> None:
    public = (Path(f"{key_pair}.pub")).read_text().strip()
    assert azure.read_public_key(f"{key_pair}.pub") == public
    assert azure.read_public_key(public) == public
    with pytest.raises(UsageError, match="is a private key") as caught:
        azure.read_public_key(str(key_pair))
    assert caught.value.hint == "pass the public key beside it (the .pub file)"
    with pytest.raises(UsageError, match="cannot read the SSH public key"):
        azure.read_public_key(str(tmp_path / "missing.pub"))
    ecdsa = tmp_path / "id_ecdsa"
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ecdsa", "-N", "", "-f", str(ecdsa)], check=True)
    with pytest.raises(UsageError, match="not an RSA or Ed25519 OpenSSH public key"):
        azure.read_public_key(f"{ecdsa}.pub")


def test_the_default_key_is_the_users_ed25519_or_rsa_key(
        key_pair: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(UsageError, match=re.escape("no SSH public key in ~/.ssh")):
        azure.default_public_key()
    shutil.copy(f"{key_pair}.pub", home / ".ssh" / "id_rsa.pub")
    assert azure.default_public_key() == str(home / ".ssh" / "id_rsa.pub")
    shutil.copy(f"{key_pair}.pub", home / ".ssh" / "id_ed25519.pub")
    assert azure.default_public_key() == str(home / ".ssh" / "id_ed25519.pub")


def test_launch_refuses_a_blocked_plan_before_anything_else() -> None:
    from envdoctor.cloud.plan import check_box, image_for, matching

    needs = Needs(provider="azure", gpu="A100", frameworks=("torch==2.5",))
    instance = matching(KB, needs)[0]
    image = replace(image_for(KB, instance), driver="418.87.01")  # too old for any CUDA 12
    box = check_box(KB, needs, instance, image, now=NOW, envdoctor_spec=None)
    assert box.blocked
    with pytest.raises(UsageError, match="the pre-flight check blocks this plan"):
        azure.launch(box, resource_group=None, location=None,
                     ssh_public_key="~/.ssh/id_ed25519.pub", ssh_cidr="0.0.0.0/0", yes=True)


def test_subscription_comes_from_the_environment_or_the_cli_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-1111-2222-3333-444444444444")
    assert azure.subscription_id() == "00000000-1111-2222-3333-444444444444"
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))
    with pytest.raises(UsageError, match="no Azure subscription is selected") as caught:
        azure.subscription_id()
    assert "az account set --subscription" in (caught.value.hint or "")
    # The Azure CLI writes its profile with a byte-order mark.
    profile = {"subscriptions": [{"id": "aaaa", "isDefault": False},
                                 {"id": "bbbb", "isDefault": True}]}
    (tmp_path / "azureProfile.json").write_text(json.dumps(profile), encoding="utf-8-sig")
    assert azure.subscription_id() == "bbbb"
