// docs/stdio-templates.md hands operators a ready template for the real twikit-mcp: it must be one
// STDIO_TEMPLATES accepts, run with uvx, with the network and the cookie file as a tenant secret.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStdioTemplates } from '../packages/upstream/src/stdio-templates.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('docs/stdio-templates.md', () => {
  it('holds a twikit-mcp template that STDIO_TEMPLATES accepts', () => {
    const doc = readFileSync(path.join(root, 'docs/stdio-templates.md'), 'utf8');
    const block = doc.match(/```json\n([\s\S]*?)```/)?.[1];
    expect(block, 'a ```json block').toBeTruthy();
    const [template] = parseStdioTemplates(JSON.stringify([JSON.parse(block!)]), undefined);
    expect(template!.network).toBe(true);
    expect(template!.args.join(' ')).toMatch(
      /\/usr\/local\/bin\/uvx --from twikit-mcp==\d+\.\d+\.\d+ twikit-mcp/,
    );
    expect(template!.tenantEnv.TWITTER_COOKIES_JSON?.required).toBe(true);
    const cookie = JSON.stringify([
      { name: 'ct0', value: 'abc' },
      { name: 'auth_token', value: 'def' },
    ]);
    expect(new RegExp(template!.tenantEnv.TWITTER_COOKIES_JSON!.pattern, 'u').test(cookie)).toBe(true);
  });

  it('is installable in docker: optional uv stages build on the gateway and dashboard images', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM gateway AS gateway-uv$/m);
    expect(dockerfile).toMatch(/^FROM dashboard AS dashboard-uv$/m);
    expect(dockerfile).toMatch(
      /COPY --from=ghcr\.io\/astral-sh\/uv:\d+\.\d+\.\d+ \/uv \/uvx \/usr\/local\/bin\//,
    );
  });
});
