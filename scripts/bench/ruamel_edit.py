"""ruamel_edit.py IN OUT: the benchmark's edit done with ruamel.yaml's round-trip mode.

Loads IN, appends one aws entry to container_registries (creating the key if it is absent or
empty) and dumps the document to OUT. The counterpart of examples/edit.rs.
"""
import sys

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    yaml = YAML()  # round-trip mode: comments, anchors and key order kept
    yaml.preserve_quotes = True
    with open(src, "rb") as f:
        doc = yaml.load(f)
    if doc is None:
        doc = CommentedMap()
    entry = CommentedMap()
    entry["type"] = "aws"
    entry["region"] = "us-east-2"
    entry["url"] = "123456789012.dkr.ecr.us-east-2.amazonaws.com"
    entry["aws_creds_secret_name"] = "aws_creds"
    regs = doc.get("container_registries")
    if regs is None:
        regs = CommentedSeq()
        doc["container_registries"] = regs
    regs.append(entry)
    with open(dst, "wb") as f:
        yaml.dump(doc, f)


if __name__ == "__main__":
    main()
