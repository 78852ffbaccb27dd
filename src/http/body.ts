import contentType from 'content-type';
import getRawBody from 'raw-body';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { HttpExchange } from './request';

/** Auth bodies are a few short fields; anything larger is refused before any work is done. */
export const MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Reads a JSON or urlencoded-form body into a flat object of fields, with the library's own
 * limits and errors (a malformed body is a 400 with a code, never Express's HTML error page).
 * Uses the body an app-level parser already read when there is one.
 */
export async function readBody(exchange: HttpExchange, accept: 'json' | 'json-or-form' = 'json'): Promise<Record<string, unknown>> {
  const accepted = accept === 'json' ? [JSON_TYPE] : [JSON_TYPE, FORM_TYPE];
  const header = exchange.header('content-type');
  const declaredLength = Number(exchange.header('content-length') ?? 0);
  if (declaredLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);

  let mediaType: string | undefined;
  let charset = 'utf-8';
  if (header) {
    try {
      const parsed = contentType.parse(header);
      mediaType = parsed.type;
      charset = (parsed.parameters.charset ?? 'utf-8').toLowerCase();
    } catch {
      throw new UnsupportedMediaTypeError(accepted);
    }
  }
  if (mediaType === undefined && declaredLength === 0 && exchange.header('transfer-encoding') === undefined) {
    return {}; // no body at all: field validation says what is missing
  }
  if (!mediaType || !accepted.includes(mediaType)) throw new UnsupportedMediaTypeError(accepted);
  if (charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedMediaTypeError(accepted);

  // An app-level parser may have read the stream already: reuse its raw text, else its result.
  const rawText = exchange.rawBodyText;
  const preParsed = exchange.parsedBody;
  if (rawText === undefined && preParsed !== undefined && preParsed !== null && typeof preParsed === 'object' && !Buffer.isBuffer(preParsed)) {
    return asFields(preParsed);
  }

  let text: string;
  if (rawText !== undefined) {
    if (Buffer.byteLength(rawText) > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    text = rawText;
  } else {
    try {
      text = await getRawBody(exchange.raw, { limit: MAX_BODY_BYTES, encoding: 'utf-8' });
    } catch (error: any) {
      if (error?.type === 'entity.too.large') throw new PayloadTooLargeError(MAX_BODY_BYTES);
      throw new ValidationError('The request body could not be read.');
    }
  }

  if (mediaType === FORM_TYPE) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      if (!UNSAFE_KEYS.has(key) && !Object.hasOwn(fields, key)) fields[key] = value; // the first value of a repeated field wins
    }
    checkShape(fields);
    return withoutPrototypeKeys(fields);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('The request body is not valid JSON.');
  }
  return asFields(parsed);
}

/** Deeper than any form a person fills in; deep enough nesting overflows the stack of validators. */
export const MAX_BODY_DEPTH = 32;

function asFields(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('The request body must be a JSON object.');
  }
  checkShape(value);
  return withoutPrototypeKeys(value as Record<string, unknown>);
}

/**
 * Refuses what would make later steps throw instead of answer: nesting deeper than
 * MAX_BODY_DEPTH (class-transformer recurses) and strings that are not well-formed Unicode
 * (a lone surrogate makes the email validator's encodeURI throw, and would reach argon2 as
 * U+FFFD, so that different passwords hash alike). Iterative, so it cannot overflow itself.
 */
function checkShape(root: object): void {
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) throw new ValidationError('The request body contains text that is not valid Unicode.');
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) throw new ValidationError(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
    for (const key of Object.keys(value)) {
      if (!key.isWellFormed()) throw new ValidationError('The request body contains text that is not valid Unicode.');
      pending.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
}

/** `__proto__` and friends would reach class-transformer's assignments: drop them up front. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
function withoutPrototypeKeys(fields: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (!UNSAFE_KEYS.has(key)) clean[key] = fields[key];
  return clean;
}
