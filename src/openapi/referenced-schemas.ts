import type { JsonObject } from './document-types';

const SCHEMA_REF = '#/components/schemas/';

/**
 * Keeps only the schemas the document refers to (directly or through other schemas).
 * class-validator-jsonschema converts every class-validator class in the process; the app's
 * internal ones have no business in its API document.
 */
export function keepReferencedSchemas(document: JsonObject): void {
  const schemas: JsonObject = document.components?.schemas ?? {};
  const kept = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF)) {
        const name = value.slice(SCHEMA_REF.length);
        if (!kept.has(name) && schemas[name]) {
          kept.add(name);
          visit(schemas[name]);
        }
      } else {
        visit(value);
      }
    }
  };
  visit({ ...document, components: { ...document.components, schemas: undefined } });
  for (const name of Object.keys(schemas)) if (!kept.has(name)) delete schemas[name];
}
