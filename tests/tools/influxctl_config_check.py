#!/usr/bin/env python3
"""Checks an influxctl config.toml against influxctl's documented schema, as an
independent reader (Python's tomllib, not toml++) of what rotator wrote.

    influxctl_config_check.py FILE

Exit 0 and print, as JSON, each profile's name, mgmt_token and token_file when every
key is one influxctl documents, in its documented place, with its documented type
(../../../shared/influxctl.md; since influxctl 2.0.1 any other key is an error).
Exit 1 with one line naming the first problem otherwise.
"""
import json
import sys
import tomllib

STRING, BOOL, STRINGS = "string", "boolean", "list of strings"

# influxctl's documented config.toml: key -> type, or a nested table.
PROFILE = {
    "name": STRING, "product": STRING, "host": STRING, "port": STRING,
    "database": STRING, "token": STRING, "mgmt_token": STRING,
    "account_id": STRING, "cluster_id": STRING,
    "tls": {"insecure": BOOL, "disable": BOOL, "cert": STRING, "key": STRING, "ca": STRING},
    "auth": {
        "oauth2": {"client_id": STRING, "scopes": STRINGS, "parameters": {"audience": STRING},
                   "token_url": STRING, "device_url": STRING},
        "token": {"token_file": STRING},
    },
}


def check_type(value, expected, where):
    ok = {
        STRING: isinstance(value, str),
        BOOL: isinstance(value, bool),
        STRINGS: isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[expected]
    if not ok:
        raise ValueError(f"{where} is not a {expected}")


def check_table(table, schema, where):
    if not isinstance(table, dict):
        raise ValueError(f"{where} is not a table")
    for key, value in table.items():
        if key not in schema:
            raise ValueError(f"{where}.{key} is not a key influxctl reads there")
        if isinstance(schema[key], dict):
            check_table(value, schema[key], f"{where}.{key}")
        else:
            check_type(value, schema[key], f"{where}.{key}")


def main():
    with open(sys.argv[1], "rb") as f:
        doc = tomllib.load(f)
    for key in doc:
        if key != "profile":
            raise ValueError(f"{key} is not a key influxctl reads at the top level")
    profiles = doc.get("profile", [])
    if not isinstance(profiles, list):
        raise ValueError("profile is not a list of [[profile]] tables")
    summary = []
    for i, profile in enumerate(profiles):
        check_table(profile, PROFILE, f"profile[{i}]")
        if "product" in profile and profile["product"] not in ("clustered", "dedicated"):
            raise ValueError(f"profile[{i}].product is neither clustered nor dedicated")
        summary.append({
            "name": profile.get("name"),
            "mgmt_token": profile.get("mgmt_token"),
            "token_file": profile.get("auth", {}).get("token", {}).get("token_file"),
        })
    print(json.dumps(summary))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, tomllib.TOMLDecodeError) as e:
        print(f"influxctl_config_check: {e}", file=sys.stderr)
        sys.exit(1)
