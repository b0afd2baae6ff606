/**
 * Target's m2 endpoints answer small flat XML documents: `<response>` with one element per field.
 * This writer escapes every text node, so values holding `<`, `&` or `]]>` come back intact.
 */
export type XmlFields = ReadonlyArray<readonly [name: string, value: string | number | boolean]>;

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

// Characters XML 1.0 cannot carry at all, even escaped: they are replaced, never emitted.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

export function xmlResponse(fields: XmlFields): string {
  let body = '<response>';
  for (const [name, value] of fields) {
    body += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  return body + '</response>';
}

/** `<response><success>false</success><message>…</message></response>` — every m2 error. */
export function m2Failure(message: string): string {
  return xmlResponse([
    ['success', false],
    ['message', message],
  ]);
}
