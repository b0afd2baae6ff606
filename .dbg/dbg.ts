import { createSdkClient } from '../test/support/target-sdk.js';
import { admin, startTestServer } from '../test/support/server.js';
import { formatMboxCookie } from '../src/wire/mbox-cookie.js';
async function main() {
const server = await startTestServer();
await admin(server, 'PUT', '/admin/v1/clients/demo', { imsOrgId: 'ABC@AdobeOrg' });
const sdk = await createSdkClient(server.url, 'ABC@AdobeOrg');
const pcOnly = formatMboxCookie([{ name: 'PC', value: 'abcdef', expiresAt: Math.floor(Date.now() / 1000) + 1000 }]);
const realFetch = globalThis.fetch;
try { await sdk.getOffers({ targetCookie: pcOnly, sessionId: 's2', request: { execute: { pageLoad: {} } } }); } catch (e) { console.log('err', e); }
const r = await server.fetch('/rest/v1/delivery?imsOrgId=ABC@AdobeOrg&sessionId=s2', {method:'POST', body: JSON.stringify({context:{channel:'web'}, id:{tntId:'abcdef'}})});
console.log(r.status, await r.text());
await server.dispose();
}
main();
