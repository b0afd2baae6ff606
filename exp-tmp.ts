import fs from 'node:fs';
import { startTestServer } from './test/support/server.js';
const s = await startTestServer();
const doc = await (await s.fetch('/openapi.json')).json();
fs.writeFileSync('/tmp/openapi.json', JSON.stringify(doc, null, 1));
for (const [p, ops] of Object.entries<any>(doc.paths)) for (const [m, op] of Object.entries<any>(ops)) console.log(m.toUpperCase(), p, '|', op.summary, '|', Object.keys(op.responses).join(','), '|', (op.parameters||[]).map((x:any)=>x.in+':'+x.name).join(','), op.requestBody ? 'body:' + Object.keys(op.requestBody.content).join(',') : '');
console.log((await (await s.fetch('/docs')).text()).slice(0, 300));
await s.dispose();
