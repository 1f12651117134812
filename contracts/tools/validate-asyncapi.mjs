// Validates an AsyncAPI document with the official parser; exits 1 on any error-level diagnostic.
// Usage: node validate-asyncapi.mjs contracts/asyncapi.yaml
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const file = resolve(process.argv[2]);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"), { source: file });
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
for (const d of diagnostics) {
  const level = ["error", "warning", "info", "hint"][d.severity] ?? d.severity;
  console.log(`${level}: ${d.message} at ${d.path.join(".")}`);
}
if (!document || errors.length > 0) {
  console.log(`asyncapi: ${errors.length} error(s) in ${file}`);
  process.exit(1);
}
console.log(
  `asyncapi: valid ${document.version()} document, ${document.channels().length} channels, ` +
    `${document.operations().length} operations, ${document.components().messages().length} messages`,
);
