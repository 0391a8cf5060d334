#!/usr/bin/env node
// Validates Netra's OpenAPI 3.1 document with @apidevtools/swagger-parser (the OpenAPI 3.1 schema, then every
// $ref resolved).
//
//   node tests/openapi/validate.mjs http://127.0.0.1:8000      fetches <url>/openapi.json from a running server
//   node tests/openapi/validate.mjs http://host:port/openapi.json
//   node tests/openapi/validate.mjs src/net/http/openapi.json    reads the file
//
// Prints `openapi: OK …` and exits 0, or `openapi: FAILED …` and exits 1 (2 when it could not get the document).
import { readFile } from "node:fs/promises";

import SwaggerParser from "@apidevtools/swagger-parser";

const source = process.argv[2];
if (!source) {
  console.error("usage: node validate.mjs <server URL | URL of openapi.json | file path>");
  process.exit(2);
}

async function load(where) {
  if (/^https?:\/\//.test(where)) {
    const url = new URL(where);
    if (!url.pathname.endsWith(".json")) url.pathname = url.pathname.replace(/\/?$/, "/openapi.json");
    const res = await fetch(url, { headers: { accept: "application/json" } });
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    const type = res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/json")) throw new Error(`GET ${url} is ${type}, not application/json`);
    return { label: url.href, text: await res.text() };
  }
  return { label: where, text: await readFile(where, "utf8") };
}

let doc;
let label = source;
try {
  const loaded = await load(source);
  label = loaded.label;
  doc = JSON.parse(loaded.text);
} catch (err) {
  console.error(`openapi: FAILED to load ${label}: ${err.message}`);
  process.exit(2);
}

try {
  if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1")) {
    throw new Error(`"openapi" is ${JSON.stringify(doc.openapi)}, expected 3.1.x`);
  }
  // validate() dereferences in place: give it a copy so the counts below use the document as served.
  const api = await SwaggerParser.validate(structuredClone(doc));
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  let operations = 0;
  for (const item of Object.values(doc.paths ?? {})) {
    operations += Object.keys(item).filter((k) => methods.has(k)).length;
  }
  console.log(
    `openapi: OK ${label}: ${api.info.title} ${api.info.version}, OpenAPI ${doc.openapi}, ` +
      `${Object.keys(doc.paths ?? {}).length} paths, ${operations} operations, ` +
      `${Object.keys(doc.components?.schemas ?? {}).length} schemas`,
  );
} catch (err) {
  console.error(`openapi: FAILED ${label}: ${err.message}`);
  if (Array.isArray(err.details)) {
    for (const d of err.details) console.error(`  ${d.instancePath ?? ""} ${d.message ?? JSON.stringify(d)}`);
  }
  process.exit(1);
}
