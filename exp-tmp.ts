import { startTestServer } from './test/support/server.js';
const s = await startTestServer();
const doc = await (await s.fetch('/openapi.json')).json();
console.log(JSON.stringify(doc.paths['/rest/v1/profiles/{id}'], null, 1).slice(0, 3000));
console.log(Object.keys(doc.paths));
const html = await (await s.fetch('/docs')).text(); console.log(html);
console.log(s.app.routes.map(r => r.method + ' ' + r.url).join('\n'));
await s.dispose();
