// Parse Mermaid diagrams with Mermaid itself and print what it understood, for tests/test_graph.py.
// stdin: a JSON list of diagram texts. stdout: a JSON list, per diagram either
// {"ok": true, "type", "vertices": [{id, text, shape, classes}], "edges": [{start, end, text, stroke, style}],
//  "subgraphs": [{id, title, nodes}]} or {"ok": false, "error"}.
// Mermaid needs a DOM to sanitize labels; jsdom provides one.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

// Mermaid keeps `#quot;`-style entities as placeholders until it draws; turn them back into characters.
const NAMED = { quot: '"', lt: "<", gt: ">", amp: "&" };
const decode = (text) =>
  String(text ?? "")
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (whole, name) => NAMED[name] ?? whole);

async function parse(text) {
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    return {
      ok: true,
      type: diagram.type,
      vertices: [...db.getVertices().values()].map((v) => ({
        id: v.id, text: decode(v.text), shape: v.type, classes: v.classes ?? [],
      })),
      edges: db.getEdges().map((e) => ({
        start: e.start, end: e.end, text: decode(e.text), stroke: e.stroke, style: e.style ?? [],
      })),
      subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: decode(s.title), nodes: s.nodes })),
    };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) };
  }
}

const texts = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const text of texts) results.push(await parse(text));
process.stdout.write(JSON.stringify(results));
