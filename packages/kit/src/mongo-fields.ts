// Mongoose schema fields built from a contract's TypeBox object, so a stored document's shape is written once (in
// @voltq/contracts) and not restated by hand. The mapping keeps what mongoose stores: strings, numbers, booleans,
// arrays (of sub-documents without _id) and nested objects; the rest is Mixed. Indexes, defaults, enums and the
// fields only the store has are the caller's `overrides`.
import { Kind, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox';
import { Schema, type SchemaDefinition } from 'mongoose';

export interface MongooseFieldsOptions {
  /** mark the fields the TypeBox object requires as `required: true` (default true); sub-documents never are */
  required?: boolean;
}

function fieldType(schema: TSchema): unknown {
  switch (schema[Kind]) {
    case 'String':
      return String;
    case 'Integer':
    case 'Number':
      return Number;
    case 'Boolean':
      return Boolean;
    case 'Literal':
      return typeof schema.const === 'number' ? Number : typeof schema.const === 'boolean' ? Boolean : String;
    case 'Union': {
      const kinds = new Set((schema.anyOf as TSchema[]).map((s) => fieldType(s)));
      return kinds.size === 1 ? [...kinds][0] : Schema.Types.Mixed;
    }
    case 'Array':
      return [fieldType(schema.items as TSchema)];
    case 'Object':
      // a sub-document as today's hand-written ones: plain typed fields, no _id, nothing required
      return new Schema(mongooseFields(schema as TObject, {}, { required: false }), { _id: false });
    default:
      return Schema.Types.Mixed;
  }
}

/**
 * `{ field: { type, required? } }` for every property of `object`, merged with `overrides[field]` (which may also
 * add fields the contract does not have, e.g. a password hash). Optional properties are never required; arrays
 * default to [] (as mongoose does anyway).
 */
export function mongooseFields(
  object: TObject,
  overrides: Record<string, Record<string, unknown>> = {},
  opts: MongooseFieldsOptions = {},
): SchemaDefinition {
  const requireListed = opts.required ?? true;
  const required = new Set(object.required ?? []);
  const fields: Record<string, Record<string, unknown>> = {};
  for (const [name, property] of Object.entries(object.properties)) {
    const field: Record<string, unknown> = { type: fieldType(property) };
    // an array is stored empty rather than required (mongoose's own default, written out)
    if (property[Kind] === 'Array') field.default = [];
    else if (requireListed && required.has(name) && property[OptionalKind] !== 'Optional') field.required = true;
    fields[name] = field;
  }
  for (const [name, extra] of Object.entries(overrides)) fields[name] = { ...fields[name], ...extra };
  return fields as SchemaDefinition;
}
