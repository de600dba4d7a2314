// The flat v2 XML: written with CDATA, read back exactly; anything outside that shape refused.
import t from 'tap';
import { MAX_XML_BYTES, parseXml, toXml, XmlError } from '../src/xml.js';

t.test('round trip, including characters XML cares about and a "]]>" inside a value', async (t) => {
  const params = { return_code: 'SUCCESS', body: '充电 <快充> & "more"', attach: 'a]]>b', total_fee: 123 };
  const xml = toXml(params);
  t.match(xml, /^<xml><return_code><!\[CDATA\[SUCCESS\]\]><\/return_code>/);
  t.match(xml, /<total_fee>123<\/total_fee>/);
  t.same({ ...parseXml(xml) }, { return_code: 'SUCCESS', body: '充电 <快充> & "more"', attach: 'a]]>b', total_fee: '123' });
});

t.test('reads what WeChat sends: declaration, whitespace, plain text with entities, empty elements', async (t) => {
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <a><![CDATA[x]]></a>\n  <b>1 &lt; 2 &amp;&#x4E2D;&#25991;</b>\n  <c/>\n  <d></d>\n</xml>\n';
  t.same({ ...parseXml(xml) }, { a: 'x', b: '1 < 2 &中文', c: '', d: '' });
});

t.test('refuses DOCTYPE, entities and anything not flat', async (t) => {
  const bad = [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "boom">]><xml><a>&x;</a></xml>',
    '<xml><a>&x;</a></xml>',
    '<xml><a><b>1</b></a></xml>',
    '<xml><a>1</a><a>2</a></xml>',
    '<xml><a x="1">1</a></xml>',
    '<xml><!-- c --><a>1</a></xml>',
    '<root><a>1</a></root>',
    '<xml><a>1</a>',
    '<xml><a>1</xml>',
    '<xml><a><![CDATA[1</a></xml>',
    'not xml',
    '',
  ];
  for (const text of bad) t.throws(() => parseXml(text), XmlError, JSON.stringify(text));
});

t.test('refuses oversize bodies before reading them', async (t) => {
  const big = `<xml><a><![CDATA[${'x'.repeat(MAX_XML_BYTES)}]]></a></xml>`;
  t.throws(() => parseXml(big), XmlError);
  t.throws(() => parseXml('<xml><a>12345</a></xml>', 10), XmlError, 'a smaller limit is honoured');
  const many = `<xml>${Array.from({ length: 300 }, (_, i) => `<k${i}>1</k${i}>`).join('')}</xml>`;
  t.throws(() => parseXml(many), XmlError, 'too many elements');
});

t.test('a __proto__ element is a plain value, not a prototype', async (t) => {
  const out = parseXml('<xml><__proto__><![CDATA[x]]></__proto__></xml>');
  t.equal(Object.getPrototypeOf(out), null);
  t.equal(out['__proto__'], 'x');
});

t.test('writing refuses names that are not v2 names', async (t) => {
  t.throws(() => toXml({ 'a b': '1' }), XmlError);
  t.throws(() => toXml({ '<x>': '1' }), XmlError);
  t.equal(toXml({ a: undefined, b: '' }), '<xml><b><![CDATA[]]></b></xml>');
});
