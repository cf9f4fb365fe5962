#!/usr/bin/python3
"""validate.py - offline validation of Kubernetes manifests against the
object schemas of the official Python client (Debian's python3-kubernetes,
generated from the Kubernetes OpenAPI spec), since `kubectl apply
--dry-run=client` needs an API server for its schema and REST mapping.

    kubectl kustomize --load-restrictor=LoadRestrictionsNone deploy/k8s | deploy/k8s/validate.py
    deploy/k8s/secrets.sh KEYS/server | deploy/k8s/validate.py

Checks every document: a known apiVersion and kind; every field name known
to that object's schema, at every depth (a typo such as `readinesProbe` is
an error, where the API server would drop it silently); every value of the
schema's type (object, list, map, string, integer, boolean); every required
field present (the client's own model validation). Then cross-references:
each StatefulSet's serviceName names a Service, selectors match the pod
template's labels, every volumeMount names a volume or a claim template,
every configMap/secret volume names a ConfigMap in the input or a Secret
that deploy/k8s/secrets.sh makes; and Jiju's CPU weights: every
container requests CPU and sets no CPU limit, and ingest requests twice the
CPU of each other service (compose's cpu_shares 1024 vs 512, which the
kubelet turns into cgroup weights; docs/operations.md "CPU weights").
Prints one line per document and exits
1 with every problem listed, else 0. What it cannot check: admission
(quotas, policies, storage classes), and the cluster's behaviour.
"""
import sys

import kubernetes.client as k
import yaml

KINDS = {("v1", "Namespace"): "V1Namespace", ("v1", "Service"): "V1Service",
         ("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret",
         ("apps/v1", "StatefulSet"): "V1StatefulSet",
         ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy"}
SECRETS_MADE = {f"jiju-keys-{s}" for s in ("assessment", "archive", "notification", "ingest")}
PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object,
             "datetime": str, "date": str}


def check(value, typ, path, problems):
    """value against the client's type string typ ("V1PodSpec", "list[V1Volume]",
    "dict(str, str)", "str", ...). null is "not set", as the API server reads it."""
    if value is None:
        return
    if typ.startswith("list["):
        if not isinstance(value, list):
            problems.append(f"{path}: a list expected, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            check(v, typ[5:-1], f"{path}[{i}]", problems)
        return
    if typ.startswith("dict("):
        if not isinstance(value, dict):
            problems.append(f"{path}: a map expected, got {type(value).__name__}")
            return
        inner = typ[5:-1].split(", ", 1)[1]
        for kk, v in value.items():
            check(v, inner, f"{path}.{kk}", problems)
        return
    if typ in PRIMITIVE:
        want = PRIMITIVE[typ]
        if typ == "int" and isinstance(value, bool) or not isinstance(value, want):
            problems.append(f"{path}: {typ} expected, got {value!r}")
        return
    model = getattr(k, typ, None)
    if model is None:
        problems.append(f"{path}: unknown schema type {typ}")
        return
    if typ in ("IntOrString",):
        return
    if not isinstance(value, dict):
        if model.openapi_types:  # int-or-string quantities are plain values
            problems.append(f"{path}: an object ({typ}) expected, got {value!r}")
        return
    by_json = {j: a for a, j in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            problems.append(f"{path}.{key}: not a field of {typ}")
            continue
        check(v, model.openapi_types[by_json[key]], f"{path}.{key}", problems)


class Reply:  # what ApiClient.deserialize reads
    def __init__(self, doc):
        import json
        self.data = json.dumps(doc)


def validate(docs):
    problems, names = [], {}
    api = k.ApiClient()
    for i, doc in enumerate(docs):
        if not doc:
            continue
        kind = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
        where = f"document {i + 1} ({doc.get('kind')} {doc.get('metadata', {}).get('name')})"
        if not kind:
            problems.append(f"{where}: unknown apiVersion/kind {doc.get('apiVersion')}/{doc.get('kind')}")
            continue
        before = len(problems)
        check(doc, kind, where, problems)
        try:
            api.deserialize(Reply(doc), kind)  # required fields, enum values
        except (ValueError, TypeError) as e:
            problems.append(f"{where}: {e}")
        names.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
        print(f"{'ok ' if len(problems) == before else 'BAD'} {doc['apiVersion']} {doc['kind']} "
              f"{doc['metadata'].get('namespace', '-')}/{doc['metadata']['name']}")
    for name, ss in names.get("StatefulSet", {}).items():
        spec, where = ss["spec"], f"StatefulSet {name}"
        if spec.get("serviceName") not in names.get("Service", {}):
            problems.append(f"{where}: serviceName {spec.get('serviceName')} is no Service here")
        labels = spec["template"]["metadata"].get("labels", {})
        if any(labels.get(kk) != v for kk, v in spec["selector"].get("matchLabels", {}).items()):
            problems.append(f"{where}: selector does not match the pod template's labels")
        pod = spec["template"]["spec"]
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        for c in pod["containers"]:
            for m in c.get("volumeMounts", []):
                if m["name"] not in vols and m["name"] not in claims:
                    problems.append(f"{where}: mount {m['name']} names no volume or claim")
        for v in vols.values():
            if "configMap" in v and v["configMap"]["name"] not in names.get("ConfigMap", {}):
                problems.append(f"{where}: ConfigMap {v['configMap']['name']} is not defined")
            if "secret" in v and v["secret"]["secretName"] not in SECRETS_MADE | set(
                    names.get("Secret", {})):
                problems.append(f"{where}: Secret {v['secret']['secretName']} is not made")
    for name, svc in names.get("Service", {}).items():
        sel = svc["spec"].get("selector", {})
        if sel and not any(all(ss["spec"]["template"]["metadata"]["labels"].get(kk) == v
                               for kk, v in sel.items())
                           for ss in names.get("StatefulSet", {}).values()) and \
                names.get("StatefulSet"):
            problems.append(f"Service {name}: selector {sel} matches no pod template")
    check_cpu_weights(names.get("StatefulSet", {}), problems)
    return problems


def millicores(q):
    """A CPU quantity ("200m", "0.5", "1", 2) in millicores; None if not one."""
    text = str(q)
    try:
        return float(text[:-1]) if text.endswith("m") else float(text) * 1000
    except ValueError:
        return None


def check_cpu_weights(sets, problems):
    """Requests are the pods' cgroup weights: ingest twice each other's."""
    cpu = {}
    for name, ss in sets.items():
        for c in ss["spec"]["template"]["spec"]["containers"]:
            res = c.get("resources") or {}
            req = (res.get("requests") or {}).get("cpu")
            where = f"StatefulSet {name} container {c['name']}"
            if req is None or millicores(req) is None or millicores(req) <= 0:
                problems.append(f"{where}: resources.requests.cpu must be set (its CPU weight), "
                                f"got {req!r}")
                continue
            if "cpu" in (res.get("limits") or {}):
                problems.append(f"{where}: resources.limits.cpu is set ({res['limits']['cpu']}): "
                                "a CPU limit throttles even an idle node; the weight is the request")
            cpu[name] = millicores(req)
    if "ingest" not in cpu:
        return
    for name, m in sorted(cpu.items()):
        if name != "ingest" and cpu["ingest"] != 2 * m:
            problems.append(f"StatefulSet {name}: requests.cpu {m:g}m, but ingest's "
                            f"{cpu['ingest']:g}m must be twice each other service's "
                            "(compose: cpu_shares 1024 vs 512)")


def main():
    docs = list(yaml.safe_load_all(sys.stdin))
    problems = validate(docs)
    for p in problems:
        print("problem:", p)
    print(f"{len([d for d in docs if d])} documents, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
