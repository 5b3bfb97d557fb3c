import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_PATH, CATALOG_TOOLS } from '../src/catalog.ts';
import { TOOL_HANDLERS } from '../src/tools/index.ts';
import { inProcess, repoRoot } from './helpers.ts';

const sharedFixture = resolve(repoRoot, '../shared/fixtures/twikit-tools.json');

describe('catalog', () => {
  it('is a byte-for-byte copy of the shared fixture', () => {
    expect(readFileSync(CATALOG_PATH, 'utf8')).toBe(readFileSync(sharedFixture, 'utf8'));
  });

  it('has 62 uniquely named tools, each with a handler and no annotations', () => {
    expect(CATALOG_TOOLS).toHaveLength(62);
    const names = CATALOG_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(62);
    expect(Object.keys(TOOL_HANDLERS).sort()).toEqual([...names].sort());
    for (const tool of CATALOG_TOOLS) expect(tool).not.toHaveProperty('annotations');
  });

  it('advertises exactly the fixture tools over MCP (names, descriptions, input schemas)', async () => {
    const fixture = JSON.parse(readFileSync(sharedFixture, 'utf8')) as { tools: unknown[] };
    const h = await inProcess();
    const { tools } = await h.client.listTools();
    expect(tools).toEqual(fixture.tools);
    expect(h.client.getServerVersion()?.name).toBe('twitter');
    await h.close();
  });
});
