// Fill XForms with ODK's own engine (@getodk/xforms-engine, the engine behind ODK Web Forms) the way a
// cadre would, and serialise each instance as ODK Collect submits it.
//
// Reads one JSON document from stdin: {"jobs": [job, ...]}, one Node process for many forms. A job:
//   {"xform": "<h:html ...>", "media": {"households.csv": "name,label,..."},
//    "repeats": {"/household_visit/education/children": 2},
//    "values": {"/household_visit/talk/satisfaction": "satisfied", "/…/talk/needs": ["employment"], ...},
//    "files": {"/household_visit/photo_stove": {"name": "stove.jpg", "type": "image/jpeg", "base64": "…"}},
//    "deviceID": "collect:abc"}
// Value keys are the engine's node references (repeat positions as [1], [2] …). Writes
//   {"results": [{"status": "ready", "xml": "…", "files": ["stove.jpg", …], "violations": [...]}, …]}
// with "error" instead when the form did not load. Three shims make the engine run under Node (see
// shared/SERVICES.md): jsdom's DOM globals, CommonJS names for its tree-sitter loader, Node's own File.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { File as NodeFile } from 'node:buffer';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
for (const name of [
  'window', 'document', 'DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'XMLDocument',
  'Attr', 'Text', 'XPathResult', 'XPathEvaluator', 'NodeFilter', 'DocumentFragment', 'HTMLElement',
]) {
  if (dom.window[name] !== undefined && globalThis[name] === undefined) {
    globalThis[name] = name === 'window' ? dom.window : dom.window[name];
  }
}
const require = createRequire(import.meta.url);
globalThis.require = require;
globalThis.__dirname = dirname(require.resolve('@getodk/xforms-engine'));
const { createInstance } = await import('@getodk/xforms-engine');

const readStdin = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
};

const children = (node) => node.currentState.children ?? [];

function fill(node, job) {
  const ref = node.currentState.reference;
  if (node.nodeType === 'repeat-range:uncontrolled') {
    const wanted = job.repeats?.[ref] ?? job.repeats?.[node.definition.nodeset] ?? 0;
    const have = children(node).length;
    if (wanted > have) node.addInstances(have - 1, wanted - have);
    if (wanted < have) node.removeInstances(wanted, have - wanted);
  }
  if (node.currentState.relevant === false) return;
  const value = job.values?.[ref];
  const file = job.files?.[ref];
  if (node.nodeType === 'select' && value !== undefined) {
    if (Array.isArray(value)) node.selectValues(value.map(String));
    else node.selectValue(String(value));
  } else if (node.nodeType === 'input' && value !== undefined) {
    node.setValue(String(value));
  } else if (node.nodeType === 'upload' && file) {
    node.setValue(new NodeFile([Buffer.from(file.base64, 'base64')], file.name, { type: file.type }));
  }
  for (const child of children(node)) fill(child, job);
}

async function run(job) {
  const media = job.media ?? {};
  const instance = await createInstance(job.xform, {
    form: {
      fetchFormAttachment: async (url) => {
        const name = String(url).split('/').pop();
        if (!(name in media)) return new Response('missing', { status: 404 });
        return new Response(media[name], { status: 200, headers: { 'Content-Type': 'text/csv' } });
      },
    },
    instance: { preloadProperties: { deviceID: job.deviceID ?? 'collect:odk-engine-test' } },
  });
  const { root } = instance;
  fill(root, job);
  const payload = await root.prepareInstancePayload();
  const [data] = payload.data;
  const submission = data.get('xml_submission_file');
  const files = [];
  for (const [key, value] of data.entries()) if (key !== 'xml_submission_file') files.push(value.name ?? key);
  return {
    status: payload.status,
    xml: submission ? await submission.text() : null,
    files,
    violations: (payload.violations ?? []).map((v) => ({
      reference: v.reference ?? v.nodeId ?? null,
      message: v.violation?.message?.asString ?? v.violation?.condition ?? String(v.fileName ?? ''),
    })),
  };
}

const { jobs } = JSON.parse(await readStdin());
const results = [];
for (const job of jobs) {
  try {
    results.push(await run(job));
  } catch (err) {
    results.push({ error: String(err?.stack ?? err) });
  }
}
process.stdout.write(JSON.stringify({ results }));
