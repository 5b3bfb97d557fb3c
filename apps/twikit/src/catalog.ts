// The tool catalog of the real Twikit MCP server (names + input schemas), copied verbatim from
// the shared fixture into ./catalog/twikit-tools.json. Loaded once; never mutated.
import { readFileSync } from 'node:fs';

export type JsonSchemaType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

export interface JsonSchema {
  type?: JsonSchemaType | JsonSchemaType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
  [key: string]: unknown;
}

export interface CatalogTool {
  name: string;
  description: string;
  inputSchema: JsonSchema & { type: 'object' };
}

interface CatalogFile {
  server: string;
  source: string;
  toolCount: number;
  tools: CatalogTool[];
}

export const CATALOG_PATH = new URL('./catalog/twikit-tools.json', import.meta.url);

function loadCatalog(): CatalogFile {
  const file = JSON.parse(readFileSync(CATALOG_PATH, 'utf8')) as CatalogFile;
  if (file.tools.length !== file.toolCount) {
    throw new Error(`twikit catalog lists ${file.tools.length} tools but declares ${file.toolCount}`);
  }
  return file;
}

const catalog = loadCatalog();

export const CATALOG_TOOLS: readonly CatalogTool[] = catalog.tools;

const byName = new Map(catalog.tools.map((t) => [t.name, t]));

export function findCatalogTool(name: string): CatalogTool | undefined {
  return byName.get(name);
}
