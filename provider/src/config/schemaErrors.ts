/**
 * ajv's errors in a user's words: the field path as segments (array indexes as numbers) and a reason that says
 * what is allowed and what was found.
 */
import type { ErrorObject } from 'ajv';

type Segment = string | number;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a value found in a document, for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** JSON pointer -> segments; a segment is a number where the document holds an array at that point. */
export function pointerToPath(pointer: string, root: unknown): Segment[] {
  if (pointer === '') return [];
  const path: Segment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      path.push(Number(key));
      node = node[Number(key)];
    } else {
      path.push(key);
      node = isRecord(node) ? node[key] : undefined;
    }
  }
  return path;
}

function fieldDescription(parentSchema: unknown, field: string): string {
  if (!isRecord(parentSchema) || !isRecord(parentSchema.properties)) return '';
  const prop = parentSchema.properties[field];
  return isRecord(prop) && typeof prop.description === 'string' ? `: ${prop.description}` : '';
}

function allowedFields(parentSchema: unknown): string {
  if (!isRecord(parentSchema) || !isRecord(parentSchema.properties)) return 'none';
  return Object.keys(parentSchema.properties).join(', ');
}

function param(error: ErrorObject, name: string): unknown {
  return (error.params as Record<string, unknown>)[name];
}

export function explainSchemaError(error: ErrorObject, document: unknown): { path: Segment[]; reason: string } {
  const path = pointerToPath(error.instancePath, document);
  switch (error.keyword) {
    case 'required': {
      const missing = String(param(error, 'missingProperty'));
      return { path: [...path, missing], reason: `is required${fieldDescription(error.parentSchema, missing)}` };
    }
    case 'additionalProperties': {
      const extra = String(param(error, 'additionalProperty'));
      const legacy =
        path[path.length - 1] === 'verificationCertStores'
          ? `; Ratify's older form {${extra}: [...]} is written {ca: {${extra}: [...]}} here`
          : '';
      return {
        path: [...path, extra],
        reason: `is not a known field; the fields allowed here are: ${allowedFields(error.parentSchema)}${legacy}`,
      };
    }
    case 'type': {
      const expected = String(param(error, 'type'));
      return { path, reason: `must be ${TYPE_WORDS[expected] ?? expected}, got ${describeValue(error.data)}` };
    }
    case 'enum': {
      const allowed = (param(error, 'allowedValues') as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, reason: `must be one of ${allowed}, got ${describeValue(error.data)}` };
    }
    case 'format':
      return { path, reason: `must be a valid ${String(param(error, 'format'))}, got ${describeValue(error.data)}` };
    case 'minimum':
    case 'maximum':
      return { path, reason: `${error.message ?? 'is out of range'}, got ${describeValue(error.data)}` };
    default:
      return { path, reason: error.message ?? `fails the schema rule "${error.keyword}"` };
  }
}
