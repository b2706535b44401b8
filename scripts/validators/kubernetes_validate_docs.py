"""Validate every document of multi-document Kubernetes YAML files against the
strict JSON schemas that the kubernetes-validate package ships, for several
Kubernetes minor versions. Run by kubernetes-validate.sh inside the validator
virtualenv; it never touches the network (the schemas are package data).

It uses kubernetes_validate.utils.validate(..., strict=True), the same check as
`kubernetes-validate --strict`, but adds what the CLI lacks:
  * the failing file, document number and start line in every message;
  * documents of built-in API groups whose kind/apiVersion has no schema for a
    version (e.g. a removed beta API, a misspelt kind) FAIL instead of the CLI's
    warning-and-pass;
  * custom resources (groups that no shipped Kubernetes version serves, e.g.
    neo4j.com, monitoring.coreos.com) are SKIPPED with a printed note;
  * duplicate kind/namespace/name within one file FAILS.
Exit status: 0 all validated documents are valid, 1 any failure, 2 usage error.
"""

import argparse
import functools
import re
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

import jsonschema
import referencing
import yaml
from kubernetes_validate import utils
from kubernetes_validate.version import __version__ as KV_VERSION

# Parsing and loading the schema files dominates the run time; they are
# immutable, so load each one once per process.
utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)


class Loader(yaml.SafeLoader):
    """SafeLoader that, like kubernetes-validate, accepts '=' scalars."""


def _construct_value(loader: yaml.Loader, node: yaml.Node) -> str:
    return str(node.value)


Loader.add_constructor("tag:yaml.org,2002:value", _construct_value)


def documents(path: str) -> List[Tuple[int, int, Any]]:
    """(doc number, start line, data) for every non-empty document."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    loader = Loader(text)
    out = []
    try:
        number = 0
        while loader.check_node():
            node = loader.get_node()
            number += 1
            data = loader.construct_document(node)
            if data is not None:
                out.append((number, node.start_mark.line + 1, data))
    finally:
        loader.dispose()
    return out


MAX_ERRORS = 10


@functools.lru_cache(maxsize=None)
def strict_validator(kind: str, api_version: str, version: str) -> jsonschema.protocols.Validator:
    """The validator utils.validate(strict=True) builds, kept so that every
    error of a document can be listed (utils.validate raises only the first)."""
    full = [v for v in utils.all_versions() if utils.major_minor(v) == version][-1]
    schema_dir = "v%s-local-strict" % full
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = utils.schema_contents("kubernetes-json-schema/%s/%s-%s.json" % (schema_dir, kind.lower(), api), version)
    defs = utils.schema_contents("kubernetes-json-schema/%s/_definitions.json" % schema_dir, version)
    registry = referencing.Resource.from_contents(schema) @ referencing.Registry()
    registry = referencing.Resource.from_contents(defs) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def all_errors(resource: Dict[str, Any], version: str, first: utils.ValidationError) -> List[str]:
    def fmt(e: jsonschema.ValidationError) -> str:
        return "%s: %s" % (".".join(str(p) for p in e.path) or "<root>", e.message)
    try:
        errors = sorted(strict_validator(resource["kind"], resource["apiVersion"], version)
                        .iter_errors(resource), key=lambda e: [str(p) for p in e.path])
    except Exception:  # internals changed: fall back to the one error we have
        errors = []
    msgs = [fmt(e) for e in errors] or [fmt(first)]
    if len(msgs) > MAX_ERRORS:
        msgs = msgs[:MAX_ERRORS] + ["... and %d more errors" % (len(msgs) - MAX_ERRORS)]
    return msgs


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def builtin_groups(versions: List[str]) -> Set[str]:
    """API groups that Kubernetes itself serves, read from the shipped schemas."""
    groups: Set[str] = set()
    for version in utils.all_versions():
        schema_dir = "v%s-local-strict" % version
        defs = utils.schema_contents(
            "kubernetes-json-schema/%s/_definitions.json" % schema_dir, version)
        for definition in defs.get("$defs", defs.get("definitions", {})).values():
            for gvk in definition.get("x-kubernetes-group-version-kind", []):
                groups.add(gvk["group"])
    return groups


def describe(resource: Dict[str, Any]) -> str:
    meta = resource.get("metadata") or {}
    name = meta.get("name", "<no name>") if isinstance(meta, dict) else "<bad metadata>"
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return "%s %s %s" % (resource.get("apiVersion"), resource.get("kind"),
                         "%s/%s" % (ns, name) if ns else name)


def version_span(versions: List[str]) -> str:
    return versions[0] if len(versions) == 1 else "%s..%s" % (versions[0], versions[-1])


def version_list(on: List[str], versions: List[str]) -> str:
    if on == versions:
        return version_span(versions) if len(versions) > 1 else versions[0]
    return ",".join(on)


def validate_resource(where: str, resource: Any, versions: List[str],
                      builtins: Set[str], counts: Dict[str, int]) -> None:
    if not isinstance(resource, dict):
        print("FAIL %s: document is a %s, not a Kubernetes object" % (where, type(resource).__name__))
        counts["failed"] += 1
        return
    missing = [k for k in ("apiVersion", "kind") if not isinstance(resource.get(k), str)]
    if missing:
        print("FAIL %s: missing or non-string %s" % (where, ", ".join(missing)))
        counts["failed"] += 1
        return
    if resource["kind"].endswith("List") and isinstance(resource.get("items"), list):
        for i, item in enumerate(resource["items"]):
            validate_resource("%s items[%d]" % (where, i), item, versions, builtins, counts)
        return
    what = describe(resource)
    group = group_of(resource["apiVersion"])
    if group not in builtins:
        print("SKIP %s %s: custom resource (API group %r is not built into Kubernetes); "
              "kubernetes-validate has no schema for it" % (where, what, group))
        counts["skipped"] += 1
        return
    # message -> versions it occurs on, so one problem prints once, not per version
    failures: Dict[str, List[str]] = {}
    for version in versions:
        try:
            utils.validate(resource, version, strict=True)
        except utils.ValidationError as e:
            for msg in all_errors(resource, version, e):
                failures.setdefault(msg, []).append(version)
        except utils.SchemaNotFoundError:
            msg = "kind %s in %s is not served (removed or unknown API?)" % (
                resource["kind"], resource["apiVersion"])
            failures.setdefault(msg, []).append(version)
        except (utils.VersionNotSupportedError, utils.InvalidSchemaError) as e:
            print("FATAL kubernetes-validate %s: %s" % (KV_VERSION, e.message))
            sys.exit(2)
    if failures:
        counts["failed"] += 1
        for msg, on in failures.items():
            print("FAIL %s %s: Kubernetes %s: %s" % (where, what, version_list(on, versions), msg))
    else:
        counts["passed"] += 1
        print("ok   %s %s: valid on %s" % (where, what, version_span(versions)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", required=True,
                        help="space separated Kubernetes minor versions, e.g. '1.30 1.31'")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    versions = args.versions.split()
    shipped = {utils.major_minor(v) for v in utils.all_versions()}
    for version in versions:
        if not re.fullmatch(r"1\.\d+", version):
            print("error: %r is not a Kubernetes minor version like 1.31" % version, file=sys.stderr)
            return 2
        if version not in shipped:
            # utils.validate would silently fall back to an older schema set.
            print("error: kubernetes-validate %s ships no schemas for Kubernetes %s (it has %s)"
                  % (KV_VERSION, version, " ".join(sorted(shipped, key=lambda v: int(v.split('.')[1])))),
                  file=sys.stderr)
            return 2

    print("kubernetes-validate %s, strict schemas, Kubernetes %s" % (KV_VERSION, " ".join(versions)))
    builtins = builtin_groups(versions)
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for path in args.files:
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        try:
            docs = documents(path)
        except (OSError, UnicodeDecodeError) as e:
            print("FAIL %s: cannot read: %s" % (path, e))
            docs, counts["failed"] = [], 1
        except yaml.YAMLError as e:
            print("FAIL %s: invalid YAML: %s" % (path, str(e).replace("\n", " ")))
            docs, counts["failed"] = [], 1
        if not docs and not counts["failed"]:
            print("FAIL %s: contains no Kubernetes documents" % path)
            counts["failed"] = 1
        seen: Dict[Tuple[str, str, str, str], str] = {}
        for number, line, resource in docs:
            where = "%s doc %d (line %d)" % (path, number, line)
            validate_resource(where, resource, versions, builtins, counts)
            if isinstance(resource, dict) and isinstance(resource.get("metadata"), dict):
                key = (group_of(str(resource.get("apiVersion"))), str(resource.get("kind")),
                       str(resource["metadata"].get("namespace", "")),
                       str(resource["metadata"].get("name", "")))
                if key in seen:
                    print("FAIL %s %s: duplicate of %s" % (where, describe(resource), seen[key]))
                    counts["failed"] += 1
                else:
                    seen[key] = where
        print("%s: %d valid, %d failed, %d custom resources not schema-checked"
              % (path, counts["passed"], counts["failed"], counts["skipped"]))
        for k in total:
            total[k] += counts[k]
    print("kubernetes-validate summary: %d files; %d documents valid on all of %s; "
          "%d failed; %d custom resources not schema-checked"
          % (len(args.files), total["passed"], version_span(versions), total["failed"], total["skipped"]))
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
