import { PayloadScalar, PayloadValue, Query } from './types';

/** The payload as fields, and whether it could be read as such. */
export interface ParsedPayload {
  fields: Record<string, PayloadValue>;
  /** Set when a saved JSON text payload is not a JSON object: fields must not overwrite it. */
  error?: string;
}

/**
 * Reads the saved payload. The JSON datasource saved it as JSON text; that
 * text becomes fields only when it is an object, so nothing the user wrote
 * is dropped by editing a field.
 */
export function parsePayload(payload: Query['payload']): ParsedPayload {
  if (payload === undefined || payload === null || payload === '') {
    return { fields: {} };
  }
  if (typeof payload !== 'string') {
    return { fields: payload };
  }
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (e) {
    if (hasVariable(payload)) {
      return {
        fields: {},
        error: `The payload is not valid JSON as written (${(e as Error).message}); it is sent with the dashboard's variables replaced. The fields can edit it once it is valid JSON without them, such as {"hosts": "$hosts"}.`,
      };
    }
    return { fields: {}, error: `The payload is not valid JSON (${(e as Error).message}). Fix the text below.` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { fields: {}, error: 'The payload must be a JSON object, such as {"region": "eu"}. Fix the text below.' };
  }
  return { fields: value as Record<string, PayloadValue> };
}

/** Sets one field; an empty value removes it so the service sees its own default. */
export function withField(
  fields: Record<string, PayloadValue>,
  name: string,
  value: PayloadValue | undefined
): Record<string, PayloadValue> {
  const next = { ...fields };
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
    delete next[name];
  } else {
    next[name] = value;
  }
  return next;
}

export function asList(value: PayloadValue | undefined): PayloadScalar[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** The message of a failed backend call: resource routes answer {"error": "..."}. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { data?: { error?: unknown; message?: unknown }; message?: unknown; statusText?: unknown; status?: unknown };
    for (const m of [e.data?.error, e.data?.message, e.message, e.statusText]) {
      if (typeof m === 'string' && m.trim() !== '') {
        return m;
      }
    }
    if (typeof e.status === 'number') {
      return `the backend answered with status ${e.status}`;
    }
  }
  return typeof err === 'string' && err !== '' ? err : 'unknown error';
}

/** The payload as the JSON editor shows it: text as saved, an object indented. */
export function payloadText(payload: Query['payload']): string {
  if (typeof payload === 'string') {
    return payload;
  }
  return payload === undefined || payload === null ? '{}' : JSON.stringify(payload, null, 2);
}

/**
 * What the JSON editor saves. Empty text is no payload. A payload saved as
 * text (the JSON datasource's) stays text, so the service gets what it got
 * before; an object stays an object. Text that is no JSON object is kept
 * as typed rather than dropped, and marked invalid.
 */
export function readPayloadText(text: string, saved: Query['payload']): { payload: Query['payload']; valid: boolean } {
  if (text.trim() === '') {
    return { payload: {}, valid: true };
  }
  const parsed = parsePayload(text);
  if (parsed.error) {
    // JSON the JSON datasource accepted once variables are replaced ({"hosts": $hosts}) still runs.
    return { payload: text, valid: hasVariable(text) };
  }
  return { payload: typeof saved === 'string' ? text : parsed.fields, valid: true };
}

/** The payload's keys the metric does not declare, in the payload's order. */
export function undeclaredKeys(fields: Record<string, PayloadValue>, defs: Array<{ name: string }>): string[] {
  const declared = new Set(defs.map((d) => d.name));
  return Object.keys(fields).filter((k) => !declared.has(k));
}

// Grafana's variable syntaxes: $name, ${name...} and [[name...]].
const VARIABLE = /\$\w+|\$\{[^}]+\}|\[\[[^\]]+\]\]/;

/** Whether text refers to a dashboard variable, so it may be JSON only once they are replaced. */
export function hasVariable(text: string): boolean {
  return VARIABLE.test(text);
}
