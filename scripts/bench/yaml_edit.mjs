// yaml_edit.mjs IN OUT: the benchmark's edit done with the npm `yaml` package's Document API.
//
// parseDocument(IN), append one aws entry to container_registries (creating the key if it is
// absent or empty), String(doc) to OUT. The counterpart of examples/edit.rs.
import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument, isSeq } from "yaml";

const [src, dst] = process.argv.slice(2);
const doc = parseDocument(readFileSync(src, "utf8"));
const entry = doc.createNode({
  type: "aws",
  region: "us-east-2",
  url: "123456789012.dkr.ecr.us-east-2.amazonaws.com",
  aws_creds_secret_name: "aws_creds",
});
const regs = doc.get("container_registries", true);
if (isSeq(regs)) {
  regs.add(entry);
} else {
  doc.set("container_registries", doc.createNode([]));
  doc.get("container_registries", true).add(entry);
}
writeFileSync(dst, String(doc));
