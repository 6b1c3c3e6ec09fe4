#!/usr/bin/env python3
"""Checks what can be checked of manifests/optional without a cluster that serves them.

manifests/optional/validating-admission-policy.yaml needs Kubernetes 1.30+; the
test cluster is 1.20.2, so this only proves the file is well-formed YAML with the
kinds, names and references it must have. It does not prove the CEL compiles or
that the policy admits a rotation: nothing here ran it on a cluster.
"""
import pathlib
import sys

import yaml

RESTART_ANNOTATIONS = ("rotator.io/kid", "rotator.io/restarted-at")  # src/formats/names.h


def main(root: pathlib.Path) -> int:
    path = root / "manifests/optional/validating-admission-policy.yaml"
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    kinds = {d["kind"]: d for d in docs}
    problems = []
    if sorted(kinds) != ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"] or len(docs) != 2:
        problems.append(f"expected one policy and one binding, found {[d.get('kind') for d in docs]}")
    for doc in docs:
        if doc.get("apiVersion") != "admissionregistration.k8s.io/v1":
            problems.append(f"{doc.get('kind')}: apiVersion {doc.get('apiVersion')}")
    policy = kinds.get("ValidatingAdmissionPolicy", {})
    binding = kinds.get("ValidatingAdmissionPolicyBinding", {})
    if binding.get("spec", {}).get("policyName") != policy.get("metadata", {}).get("name"):
        problems.append("the binding does not name the policy")
    if binding.get("spec", {}).get("validationActions") != ["Deny"]:
        problems.append("the binding does not deny")
    rules = policy.get("spec", {}).get("matchConstraints", {}).get("resourceRules", [])
    if not any("deployments" in r.get("resources", []) and "token-management" in r.get("resourceNames", []) for r in rules):
        problems.append("the policy does not match deployments/token-management")
    text = path.read_text()
    for annotation in RESTART_ANNOTATIONS:
        if annotation not in text:
            problems.append(f"the policy does not allow the restart annotation {annotation}")
    if not policy.get("spec", {}).get("validations"):
        problems.append("the policy has no validations")
    kustomization = (root / "manifests/kustomization.yaml").read_text()
    if "optional" in yaml.safe_load(kustomization).get("resources", []):
        problems.append("manifests/kustomization.yaml must not include manifests/optional")
    for problem in problems:
        print(f"{path}: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)))
