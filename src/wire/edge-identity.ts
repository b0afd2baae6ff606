import { randomBytes } from 'node:crypto';

/**
 * The Web SDK's identity on the wire (docs/web-sdk.md#identity), pure:
 *
 * - an ECID is 38 decimal digits: two zero-padded 19-digit halves, each below 2^63 (the form of
 *   every Adobe ECID; the SDK's legacy `AMCV_` reader expects digits);
 * - the SDK keeps it in the first-party cookie `kndctr_<org>_identity` (the org's `@` as `_`),
 *   which it writes from our `state:store` handle and sends back in `meta.state.entries` (or in
 *   the `Cookie` header when the edge shares the page's domain). Its value is base64url of a
 *   protobuf `Identity` message whose field 1 is the ECID; Adobe's own cookies add metadata
 *   fields, which are skipped here. Only field 1 is read and written.
 */

const HALF_LIMIT = 1n << 63n;

/** A fresh ECID: 38 digits, each half a uniform random number below 2^63. */
export function mintEcid(): string {
  const half = () => (randomBytes(8).readBigUInt64BE() % HALF_LIMIT).toString().padStart(19, '0');
  return half() + half();
}

/** `kndctr_<org>_<name>`: the Web SDK's cookie names, the org's `@` written as `_`. */
export function edgeCookieName(imsOrgId: string, name: 'identity' | 'consent'): string {
  return `kndctr_${imsOrgId.replace('@', '_')}_${name}`;
}

/** The identity cookie's value for an ECID: protobuf field 1 (tag 0x0A, length, bytes), base64url. */
export function encodeIdentityCookie(ecid: string): string {
  const bytes = Buffer.from(ecid, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]).toString('base64url');
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return Buffer.from(out);
}

/** Reads a varint at `at`: [value, next offset], or undefined past the end or beyond 2^35. */
function readVarint(bytes: Buffer, at: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift < 35; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  return undefined;
}

const ECID_TEXT = /^[\x21-\x7e]{1,128}$/;

/**
 * The ECID in an identity cookie value (base64url; `+`, `/` and `=` also accepted), or undefined
 * when the value is not such a message. Unknown fields are skipped by their wire type.
 */
export function decodeIdentityCookie(value: string): string | undefined {
  if (value.length === 0 || value.length > 4096 || !/^[A-Za-z0-9_\-+/]+={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  let at = 0;
  while (at < bytes.length) {
    const key = readVarint(bytes, at);
    if (!key) return undefined;
    const [tag, afterKey] = key;
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) {
      const skipped = readVarint(bytes, afterKey);
      if (!skipped) return undefined;
      at = skipped[1];
    } else if (wireType === 2) {
      const length = readVarint(bytes, afterKey);
      if (!length || length[1] + length[0] > bytes.length) return undefined;
      const [size, start] = length;
      if (field === 1) {
        const ecid = bytes.subarray(start, start + size).toString('utf8');
        return ECID_TEXT.test(ecid) ? ecid : undefined;
      }
      at = start + size;
    } else if (wireType === 1) at = afterKey + 8;
    else if (wireType === 5) at = afterKey + 4;
    else return undefined;
  }
  return undefined;
}

/** One cookie's value from a `Cookie` header, undecoded; undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
