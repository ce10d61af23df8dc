// Evaluates a batch of GitHub expressions with GitHub's own evaluator (npm @actions/expressions).
// Usage: node evaluate.mjs <package dir>  < batch.json  > results.json
// Input:  {"cases": [{"expr": "...", "context": <tagged>}]}, every context a tagged object (its keys are the names).
// Output: {"results": [{"ok": <tagged>} | {"error": "message"}]}, in input order.
// Tagged values keep the kinds JSON loses: ["n"] null, ["b", bool], ["#", "number as JavaScript prints it"],
// ["s", string], ["a", [tagged...]], ["o", [[key, tagged]...]] (keys in the object's own order).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const pkg = process.argv[2];
const { Lexer, Parser, Evaluator, data } = await import(pathToFileURL(join(pkg, "dist", "index.js")).href);

function decode(tag) {
  switch (tag[0]) {
    case "n": return new data.Null();
    case "b": return new data.BooleanData(tag[1]);
    case "#": return new data.NumberData(Number(tag[1]));
    case "s": return new data.StringData(tag[1]);
    case "a": return new data.Array(...tag[1].map(decode));
    case "o": {
      const dict = new data.Dictionary();
      for (const [key, value] of tag[1]) dict.add(key, decode(value));
      return dict;
    }
  }
  throw new Error(`bad tag ${JSON.stringify(tag)}`);
}

function encode(value) {
  switch (value.kind) {
    case data.Kind.Null: return ["n"];
    case data.Kind.Boolean: return ["b", value.value];
    case data.Kind.Number: return ["#", String(value.value)];
    case data.Kind.String: return ["s", value.value];
    case data.Kind.Array: return ["a", value.values().map(encode)];
    case data.Kind.Dictionary: return ["o", value.pairs().map((p) => [p.key, encode(p.value)])];
  }
  throw new Error(`unexpected value kind ${value.kind}`);
}

function evaluate(expr, context) {
  const names = context.pairs().map((p) => p.key);
  const tree = new Parser(new Lexer(expr).lex().tokens, names, []).parse();
  if (tree === undefined) throw new Error("empty expression");
  return new Evaluator(tree, context).evaluate();
}

const batch = JSON.parse(readFileSync(0, "utf-8"));
const results = batch.cases.map(({ expr, context }) => {
  try {
    return { ok: encode(evaluate(expr, decode(context))) };
  } catch (err) {
    return { error: String((err && err.message) || err) };
  }
});
process.stdout.write(JSON.stringify({ results }));
