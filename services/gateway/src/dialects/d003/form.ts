// 003 reads its login body as form data too (the YAML key/value example, 003:44), as 000 does.
import { EdgeError } from '../../edge.js';

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new EdgeError(400, `form field ${JSON.stringify(key)} given twice`);
    out[key] = value;
  }
  return out;
}
