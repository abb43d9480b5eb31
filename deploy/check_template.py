#!/usr/bin/env python3
"""Checks of template.yaml that `sam validate --lint` and cfn-lint do not make.

* Every `AWS::Serverless::Function` (Globals applied): runtime `provided.al2023`, architectures
  exactly `[arm64]`, handler `bootstrap`, `Metadata.BuildMethod: rust-cargolambda`, a `CodeUri`
  that is a workspace member (per `cargo metadata`) with a binary target, and a
  `BuildProperties.Binary` naming one of its binaries when the package has more than one.
* Every `functions/<name>/` with a Cargo.toml is deployed by some function (nothing forgotten).
* Every `!Ref`, `!GetAtt`, `${...}` in `!Sub`, `DependsOn`, `!If` / `Condition` names an existing
  parameter, pseudo parameter, resource (including the ones SAM generates: `<Fn>Role`,
  `<Fn>Url`) or condition; a `!GetAtt` attribute is one the resource type has.
* An environment variable whose name says it is a secret (KEY, SECRET, TOKEN, PASSWORD) takes
  its value from a `{{resolve:secretsmanager:...}}` / `{{resolve:ssm-secure:...}}` reference.

Usage: deploy/check_template.py [--template template.yaml] [--root .]
Prints one line per problem; exit 1 when there are any, else prints a summary and exits 0.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

PSEUDO = {
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}

# Attributes `!GetAtt` may read, per resource type (CloudFormation resource reference,
# "Return values"). A type missing here is reported, so the table grows with the template.
ATTRIBUTES = {
    "AWS::Serverless::Function": {"Arn"},
    "AWS::Serverless::HttpApi": set(),
    "AWS::Serverless::LayerVersion": set(),
    "AWS::Lambda::Url": {"FunctionArn", "FunctionUrl"},
    "AWS::IAM::Role": {"Arn", "RoleId"},
    "AWS::SQS::Queue": {"Arn", "QueueName", "QueueUrl"},
    "AWS::S3::Bucket": {"Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"},
    "AWS::SNS::Topic": {"TopicArn", "TopicName"},
    "AWS::SNS::Subscription": {"Arn"},
    "AWS::CloudWatch::Alarm": {"Arn"},
}

RUNTIME = "provided.al2023"
ARCHITECTURES = ["arm64"]
SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD)")
SECRET_REF = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):")


class Tag:
    """A CloudFormation short-form intrinsic (`!Ref X`, `!GetAtt A.B`, ...)."""

    def __init__(self, name: str, value):
        self.name = name
        self.value = value


def _construct(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tag(suffix, value)


class Loader(yaml.SafeLoader):
    """SafeLoader that keeps `!Tag value` as [`Tag`]."""


Loader.add_multi_constructor("!", _construct)


def load(path: Path) -> dict:
    """The template as plain data with [`Tag`] objects for short-form intrinsics."""
    with path.open() as f:
        return yaml.load(f, Loader=Loader)


def walk(node):
    """Every value under `node`, depth first, as (intrinsic name, argument) for intrinsics in
    either form (`!Ref X` or `{"Ref": "X"}`)."""
    if isinstance(node, Tag):
        yield node.name, node.value
        yield from walk(node.value)
    elif isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                yield key.removeprefix("Fn::"), value
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def workspace(root: Path) -> dict[str, list[str]]:
    """Workspace member directory (absolute) -> its binary target names, from cargo metadata."""
    out = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    members = {}
    for package in json.loads(out)["packages"]:
        directory = str(Path(package["manifest_path"]).parent.resolve())
        members[directory] = [t["name"] for t in package["targets"] if "bin" in t["kind"]]
    return members


class Checker:
    """Collects problems of one template."""

    def __init__(self, template: dict, root: Path, members: dict[str, list[str]]):
        self.t = template
        self.root = root
        self.members = members
        self.problems: list[str] = []
        self.resources: dict = template.get("Resources") or {}
        self.parameters = set((template.get("Parameters") or {}).keys())
        self.conditions = set((template.get("Conditions") or {}).keys())
        self.types = {name: r.get("Type") for name, r in self.resources.items()}
        self.globals = ((template.get("Globals") or {}).get("Function")) or {}
        self._add_generated()

    def _add_generated(self) -> None:
        """Resources SAM generates from a function's properties."""
        for name, res in list(self.resources.items()):
            if res.get("Type") != "AWS::Serverless::Function":
                continue
            props = res.get("Properties") or {}
            if "Role" not in props:
                self.types[f"{name}Role"] = "AWS::IAM::Role"
            if "FunctionUrlConfig" in props:
                self.types[f"{name}Url"] = "AWS::Lambda::Url"

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def check_functions(self) -> int:
        deployed = set()
        count = 0
        for name, res in self.resources.items():
            if res.get("Type") != "AWS::Serverless::Function":
                continue
            count += 1
            props = {**self.globals, **(res.get("Properties") or {})}
            meta = res.get("Metadata") or {}
            if props.get("Runtime") != RUNTIME:
                self.problem(f"{name}: Runtime {props.get('Runtime')!r}, expected {RUNTIME}")
            if props.get("Architectures") != ARCHITECTURES:
                self.problem(f"{name}: Architectures {props.get('Architectures')!r}, expected {ARCHITECTURES}")
            if props.get("Handler") != "bootstrap":
                self.problem(f"{name}: Handler {props.get('Handler')!r}, expected bootstrap (cargo-lambda's output)")
            if meta.get("BuildMethod") != "rust-cargolambda":
                self.problem(f"{name}: Metadata.BuildMethod {meta.get('BuildMethod')!r}, expected rust-cargolambda")
            code = props.get("CodeUri")
            if not isinstance(code, str):
                self.problem(f"{name}: CodeUri must be a local directory path, got {code!r}")
                continue
            directory = (self.root / code).resolve()
            deployed.add(directory)
            if not (directory / "Cargo.toml").is_file():
                self.problem(f"{name}: CodeUri {code} has no Cargo.toml")
                continue
            bins = self.members.get(str(directory))
            if bins is None:
                self.problem(f"{name}: CodeUri {code} is not a workspace member (add it to Cargo.toml's members)")
                continue
            binary = (meta.get("BuildProperties") or {}).get("Binary")
            if not bins:
                self.problem(f"{name}: package at {code} has no binary target")
            elif binary is not None and binary not in bins:
                self.problem(f"{name}: BuildProperties.Binary {binary!r} is not a binary of {code} ({', '.join(bins)})")
            elif binary is None and len(bins) > 1:
                self.problem(f"{name}: {code} has several binaries ({', '.join(bins)}); set BuildProperties.Binary")
        functions = self.root / "functions"
        if functions.is_dir():
            for d in sorted(functions.iterdir()):
                if (d / "Cargo.toml").is_file() and d.resolve() not in deployed:
                    self.problem(f"functions/{d.name} is deployed by no AWS::Serverless::Function")
        return count

    def check_name(self, where: str, name: str, attribute: str | None = None) -> None:
        if attribute is None and (name in self.parameters or name in PSEUDO):
            return
        if name not in self.types:
            kind = "resource" if attribute is not None else "parameter or resource"
            self.problem(f"{where}: no {kind} named {name!r}")
            return
        if attribute is None:
            return
        allowed = ATTRIBUTES.get(self.types[name])
        if allowed is None:
            self.problem(f"{where}: no attribute table for {self.types[name]} (add it to deploy/check_template.py)")
        elif attribute not in allowed:
            self.problem(f"{where}: {self.types[name]} {name!r} has no attribute {attribute!r}")

    def check_references(self) -> int:
        seen = 0
        sections = {k: self.t.get(k) for k in ("Globals", "Resources", "Outputs", "Conditions")}
        for section, body in sections.items():
            for fn, arg in walk(body):
                seen += 1
                where = f"{section}: !{fn}"
                if fn == "Ref":
                    self.check_name(where, arg)
                elif fn == "GetAtt":
                    parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
                    if len(parts) != 2:
                        self.problem(f"{where} {arg!r}: expected Resource.Attribute")
                    else:
                        self.check_name(where, parts[0], parts[1])
                elif fn == "Sub":
                    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                    for ref in re.findall(r"\$\{([^!}][^}]*)\}", text):
                        if ref in variables:
                            continue
                        name, _, attribute = ref.partition(".")
                        self.check_name(f"{where} {text!r}", name, attribute or None)
                elif fn == "If":
                    if arg[0] not in self.conditions:
                        self.problem(f"{where}: no condition named {arg[0]!r}")
                elif fn == "Condition" and arg not in self.conditions:
                    self.problem(f"{where}: no condition named {arg!r}")
        for name, res in self.resources.items():
            condition = res.get("Condition")
            if condition is not None and condition not in self.conditions:
                self.problem(f"{name}: Condition {condition!r} does not exist")
            depends = res.get("DependsOn") or []
            for dep in [depends] if isinstance(depends, str) else depends:
                if dep not in self.resources:
                    self.problem(f"{name}: DependsOn {dep!r} does not exist")
        return seen

    def check_secrets(self) -> None:
        blocks = [("Globals", self.globals)] + [
            (n, r.get("Properties") or {})
            for n, r in self.resources.items()
            if r.get("Type") == "AWS::Serverless::Function"
        ]
        for owner, props in blocks:
            variables = ((props.get("Environment") or {}).get("Variables")) or {}
            for key, value in variables.items():
                if not SECRET_NAME.search(key):
                    continue
                text = value.value if isinstance(value, Tag) and value.name == "Sub" else value
                text = text[0] if isinstance(text, list) else text
                if not (isinstance(text, str) and SECRET_REF.search(text)):
                    self.problem(f"{owner}: {key} must come from {{{{resolve:secretsmanager:...}}}} or ssm-secure")


def check(template_path: Path, root: Path, members: dict[str, list[str]] | None = None) -> tuple[list[str], str]:
    """Problems of the template at `template_path` in the repository at `root`, and a summary."""
    template = load(template_path)
    checker = Checker(template, root, workspace(root) if members is None else members)
    functions = checker.check_functions()
    references = checker.check_references()
    checker.check_secrets()
    summary = f"{template_path.name}: {functions} functions, {references} intrinsic references checked"
    return checker.problems, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="template.yaml", type=Path)
    parser.add_argument("--root", default=Path("."), type=Path)
    args = parser.parse_args()
    problems, summary = check(args.template, args.root.resolve())
    for p in problems:
        print(f"error: {p}")
    print(f"{summary}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
