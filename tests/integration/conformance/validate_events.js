// validate_events.js - check Jiju's events with the official CloudEvents
// SDK (npm "cloudevents") and the Standard Webhooks verifier (npm
// "standardwebhooks"), as a department system written in Node would.
//
//   node validate_events.js EVENTS.json
//
// EVENTS.json: {"tail": ["<one jiju tail line>", ...],
//               "webhooks": [{"secret": S, "format": "whsec"|"raw",
//                             "headers": {...}, "body": "<POST body>"}, ...]}
// Every tail line is parsed by the SDK as a structured-mode event and
// validated; every webhook's signature headers are verified, then its body is
// parsed and validated the same way. Beyond what the SDK checks, every
// extension attribute name must match [a-z0-9]{1,20} (the specification's
// rule; the SDK checks the letters but not the length) and no attribute may
// be an empty string. Two controls show the checks can fail: a line in the
// old format (time_ms) must be rejected, and a body changed by one byte must
// fail verification. Prints one line per problem and a summary; exit 1 on any
// problem.
"use strict";
const fs = require("fs");
const { HTTP } = require("cloudevents");
const { Webhook } = require("standardwebhooks");

const CORE = new Set(["specversion", "id", "source", "type", "time", "subject",
                      "datacontenttype", "dataschema", "data", "data_base64"]);
const STRUCTURED = { "content-type": "application/cloudevents+json; charset=utf-8" };

function parseEvent(body) {
  const ev = HTTP.toEvent({ headers: STRUCTURED, body });
  ev.validate(); // throws ValidationError
  const raw = JSON.parse(body);
  for (const [k, v] of Object.entries(raw)) {
    if (!CORE.has(k) && !/^[a-z0-9]{1,20}$/.test(k))
      throw new Error(`extension attribute "${k}" breaks [a-z0-9]{1,20}`);
    if (typeof v === "string" && v.length === 0)
      throw new Error(`attribute "${k}" is present and empty`);
  }
  if (raw.specversion !== "1.0") throw new Error("specversion is not 1.0");
  if (raw.data !== undefined && raw.datacontenttype !== "application/json")
    throw new Error("data without datacontenttype application/json");
  return ev;
}

function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const problems = [];
  const types = {};
  let ok = 0;

  input.tail.forEach((line, i) => {
    try {
      const ev = parseEvent(line);
      types[ev.type] = (types[ev.type] || 0) + 1;
      ok++;
    } catch (e) {
      problems.push(`tail line ${i + 1}: ${e.message}: ${line.slice(0, 200)}`);
    }
  });
  input.webhooks.forEach((hit, i) => {
    try {
      const wh = hit.format === "raw" ? new Webhook(hit.secret, { format: "raw" })
                                      : new Webhook(hit.secret);
      wh.verify(hit.body, hit.headers); // throws WebhookVerificationError
      if (!/^application\/cloudevents\+json/.test(hit.headers["content-type"] || ""))
        throw new Error(`content-type ${hit.headers["content-type"]}`);
      const ev = HTTP.toEvent({ headers: hit.headers, body: hit.body });
      ev.validate();
      parseEvent(hit.body);
      if (ev.id !== hit.headers["webhook-id"]) throw new Error("webhook-id is not the event id");
      ok++;
    } catch (e) {
      problems.push(`webhook ${i + 1} (${hit.format}): ${e.message}: ${hit.body.slice(0, 200)}`);
    }
  });

  // controls: the checks above are able to fail
  const old = '{"specversion":"1.0","id":"a/1","source":"/jiju/a","type":"jiju.v1.X",' +
              '"time":"2024-01-31T16:00:00.000Z","time_ms":1706716800000,"data":{}}';
  let rejected = false;
  try { parseEvent(old); } catch (e) { rejected = /time_ms/.test(e.message); }
  if (!rejected) problems.push("control: the SDK accepted a line with time_ms");
  const hit = input.webhooks[0];
  if (hit) {
    let failed = false;
    try {
      const wh = hit.format === "raw" ? new Webhook(hit.secret, { format: "raw" })
                                      : new Webhook(hit.secret);
      wh.verify(hit.body.replace(/}$/, " }"), hit.headers);
    } catch (e) { failed = true; }
    if (!failed) problems.push("control: a changed body passed signature verification");
  }

  for (const p of problems) console.log("FAIL " + p);
  console.log(`checked tail=${input.tail.length} webhooks=${input.webhooks.length} ok=${ok} ` +
              `problems=${problems.length} types=${JSON.stringify(types)}`);
  process.exit(problems.length ? 1 : 0);
}

main();
