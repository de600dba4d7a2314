export { sign, signed, signingString, verifySignature, nonceStr, SIGN_TYPE, type V2Params } from './sign.js';
export { toXml, parseXml, XmlError, MAX_XML_BYTES, MAX_ELEMENTS } from './xml.js';
