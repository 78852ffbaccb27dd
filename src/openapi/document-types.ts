/**
 * The slice of OpenAPI 3.0 types the library builds with. Loose on purpose: the document is
 * plain JSON, and an app merges its own additions into it.
 */
export type JsonObject = Record<string, any>;

/** An OpenAPI 3 document. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  servers?: Array<{ url: string; description?: string; [key: string]: unknown }>;
  paths: Record<string, JsonObject>;
  components?: JsonObject;
  security?: JsonObject[];
  tags?: JsonObject[];
  [key: string]: unknown;
}

/** Merges `addition` into `base` (objects key by key, anything else replaced); returns `base`. */
export function deepMerge(base: JsonObject, addition: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(addition)) {
    const current = base[key];
    if (isPlainObject(current) && isPlainObject(value)) deepMerge(current, value);
    else base[key] = value;
  }
  return base;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
