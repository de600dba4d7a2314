// The XML of WeChat Pay API v2: one flat `<xml>` element whose children are name → text, values in CDATA
// (`<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>`). The reader accepts exactly
// that shape and nothing more: an optional `<?xml …?>` declaration, no DOCTYPE, no entities beyond the five
// predefined ones and character references, no nesting, no attributes, no duplicate names, a bounded size. Anything
// else is an XmlError (never a crash, never an entity expansion).
import type { V2Params } from './sign.js';

/** Bodies larger than this are refused before parsing (v2 messages are well under 8 KiB). */
export const MAX_XML_BYTES = 64 * 1024;
/** At most this many parameters (v2 messages have a few dozen). */
export const MAX_ELEMENTS = 256;

export class XmlError extends Error {
  override name = 'XmlError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function cdata(value: string): string {
  // `]]>` cannot appear inside one CDATA section: close and reopen around its `>`.
  return `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

/** `<xml>` with one child per non-undefined/null parameter, in the given order; numbers bare, strings in CDATA. */
export function toXml(params: V2Params): string {
  let out = '<xml>';
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    if (!NAME.test(k)) throw new XmlError(`not a v2 parameter name: ${JSON.stringify(k)}`);
    out += `<${k}>${typeof v === 'number' ? String(v) : cdata(v)}</${k}>`;
  }
  return `${out}</xml>`;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string): string {
  if (raw.includes('<')) throw new XmlError('unexpected < in text');
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new XmlError('unterminated reference in text');
    const named = ENTITIES[ref];
    if (named !== undefined) return named;
    const num = /^#x([0-9A-Fa-f]{1,6})$/.exec(ref) ?? /^#([0-9]{1,7})$/.exec(ref);
    if (num) {
      const code = parseInt(num[1]!, ref.startsWith('#x') ? 16 : 10);
      if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) throw new XmlError(`bad character reference &${ref};`);
      return String.fromCodePoint(code);
    }
    throw new XmlError(`entity &${ref}; is not allowed`);
  });
}

/**
 * The parameters of a v2 XML body (a null-prototype record of strings). Throws XmlError for anything that is not
 * the flat v2 shape, for DOCTYPE/ENTITY declarations and for bodies over `maxBytes`.
 */
export function parseXml(text: string, maxBytes: number = MAX_XML_BYTES): Record<string, string> {
  if (typeof text !== 'string') throw new XmlError('the body is not text');
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new XmlError(`the body is larger than ${maxBytes} bytes`);
  let s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  s = s.trim();
  if (/<!DOCTYPE|<!ENTITY/i.test(s)) throw new XmlError('DOCTYPE and ENTITY declarations are not allowed');
  if (s.startsWith('<?xml')) {
    const end = s.indexOf('?>');
    if (end < 0) throw new XmlError('unterminated XML declaration');
    s = s.slice(end + 2).trim();
  }
  if (!s.startsWith('<xml>')) throw new XmlError('the root element must be <xml>');
  if (!s.endsWith('</xml>')) throw new XmlError('the root element must end with </xml>');
  const body = s.slice('<xml>'.length, s.length - '</xml>'.length);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const open = /\s*<([A-Za-z_][A-Za-z0-9_]*)\s*(\/?)>/y;
  let at = 0;
  let count = 0;
  for (;;) {
    while (at < body.length && /\s/.test(body[at]!)) at++;
    if (at >= body.length) return out;
    if (++count > MAX_ELEMENTS) throw new XmlError(`more than ${MAX_ELEMENTS} elements`);
    open.lastIndex = at;
    const tag = open.exec(body);
    if (!tag) throw new XmlError(`expected a child element at ${JSON.stringify(body.slice(at, at + 20))}`);
    const name = tag[1]!;
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new XmlError(`duplicate element <${name}>`);
    at = open.lastIndex;
    if (tag[2] === '/') {
      out[name] = '';
      continue;
    }
    const close = `</${name}>`;
    let value = '';
    for (;;) {
      if (body.startsWith('<![CDATA[', at)) {
        const end = body.indexOf(']]>', at);
        if (end < 0) throw new XmlError(`unterminated CDATA in <${name}>`);
        value += body.slice(at + '<![CDATA['.length, end);
        at = end + 3;
        continue;
      }
      if (body.startsWith(close, at)) {
        at += close.length;
        break;
      }
      if (body[at] === '<') throw new XmlError(`<${name}> may hold only text (no nested elements, comments or instructions)`);
      const next = body.indexOf('<', at);
      if (next < 0) throw new XmlError(`unterminated element <${name}>`);
      value += decodeText(body.slice(at, next));
      at = next;
    }
    out[name] = value;
  }
}
