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
