import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseStdioTemplates,
  resolveStdioLaunch,
  stdioCommandAllowed,
  StdioRefusedError,
} from '../src/stdio-templates.ts';

const twikit = {
  id: 'twikit',
  name: 'Twikit',
  command: '/usr/bin/node',
  args: ['/srv/twikit/bin/twikit-mcp.mjs', '--stdio'],
  env: { TWIKIT_MODE: 'demo' },
  tenantEnv: { TWIKIT_COOKIES: { pattern: '[A-Za-z0-9=;_ -]{1,200}', required: false } },
};

describe('stdio templates', () => {
  const templates = parseStdioTemplates(
    JSON.stringify([
      twikit,
      { ...twikit, id: 'with-args', tenantEnv: {}, tenantArgs: { max: 2, pattern: '--lang=(en|de)' } },
    ]),
    undefined,
  );

  it('runs the template argv with only the declared tenant env, operator values winning', () => {
    const launch = resolveStdioLaunch(
      { organizationId: 'o1', template: 'twikit', args: [], env: { TWIKIT_COOKIES: 'a=b' } },
      templates,
      undefined,
    );
    expect([launch.command, ...launch.args]).toEqual([
      '/usr/bin/node',
      '/srv/twikit/bin/twikit-mcp.mjs',
      '--stdio',
    ]);
    expect(launch.env).toEqual({ TWIKIT_COOKIES: 'a=b', TWIKIT_MODE: 'demo' });
  });

  it('refuses env a template does not declare (allow-list: NODE_OPTIONS, TWIKIT_CALL_LOG, HOME, OPENSSL_CONF…)', () => {
    for (const name of [
      'NODE_OPTIONS',
      'TWIKIT_CALL_LOG',
      'NODE_V8_COVERAGE',
      'NODE_REDIRECT_WARNINGS',
      'OPENSSL_CONF',
      'HOME',
      'TWIKIT_MODE',
      '__proto__',
      'constructor',
    ]) {
      expect(
        () =>
          resolveStdioLaunch(
            { organizationId: 'o1', template: 'twikit', args: [], env: { [name]: 'x' } },
            templates,
            undefined,
          ),
        name,
      ).toThrow(StdioRefusedError);
    }
  });

  it('checks a tenant value against the whole pattern', () => {
    expect(() =>
      resolveStdioLaunch(
        { organizationId: 'o1', template: 'twikit', args: [], env: { TWIKIT_COOKIES: 'ok\n--evil' } },
        templates,
        undefined,
      ),
    ).toThrow(/does not have the form/);
  });

  it('refuses trailing arguments unless the template allows them, each matched whole', () => {
    expect(() =>
      resolveStdioLaunch(
        { organizationId: 'o1', template: 'twikit', args: ['--log-file', '/any/path'], env: {} },
        templates,
        undefined,
      ),
    ).toThrow(/takes no extra arguments/);
    expect(
      resolveStdioLaunch(
        { organizationId: 'o1', template: 'with-args', args: ['--lang=de'], env: {} },
        templates,
        undefined,
      ).args.at(-1),
    ).toBe('--lang=de');
    expect(() =>
      resolveStdioLaunch(
        { organizationId: 'o1', template: 'with-args', args: ['--lang=de --log-file=/x'], env: {} },
        templates,
        undefined,
      ),
    ).toThrow(/not allowed/);
    expect(() =>
      resolveStdioLaunch(
        {
          organizationId: 'o1',
          template: 'with-args',
          args: ['--lang=en', '--lang=en', '--lang=en'],
          env: {},
        },
        templates,
        undefined,
      ),
    ).toThrow(/at most 2/);
  });

  it('refuses an unknown template, and free-form command lines outside the single free-form organization', () => {
    expect(() =>
      resolveStdioLaunch({ organizationId: 'o1', template: 'nope', args: [], env: {} }, templates, undefined),
    ).toThrow(/not offered here/);
    expect(() =>
      resolveStdioLaunch(
        { organizationId: 'o1', command: 'node', args: ['-e', 'x'], env: {} },
        templates,
        undefined,
      ),
    ).toThrow(/Free-form stdio command lines are disabled/);
    const freeform = { organizationId: 'o1', commands: ['node /srv/a.js', 'uvx srv *'] };
    expect(() =>
      resolveStdioLaunch(
        { organizationId: 'o2', command: 'node', args: ['/srv/a.js'], env: {} },
        templates,
        freeform,
      ),
    ).toThrow(/disabled/);
    expect(
      resolveStdioLaunch(
        { organizationId: 'o1', command: 'node', args: ['/srv/a.js'], env: {} },
        templates,
        freeform,
      ).command,
    ).toBe('node');
  });

  it('compares the whole argv of an allow-list entry; only an explicit * allows more', () => {
    expect(stdioCommandAllowed(['node /srv/a.js'], ['node', '/srv/a.js'])).toBe(true);
    expect(stdioCommandAllowed(['node /srv/a.js'], ['node', '/srv/a.js', '--log-file', '/any/path'])).toBe(
      false,
    );
    expect(stdioCommandAllowed(['node'], ['node', '-e', 'x'])).toBe(false);
    expect(stdioCommandAllowed(['uvx srv *'], ['uvx', 'srv', '--x'])).toBe(true);
    expect(stdioCommandAllowed(['uvx srv *'], ['uvx'])).toBe(false);
  });

  it('names the setting and the field of a bad definition', () => {
    expect(() => parseStdioTemplates('[{"id":"x","name":"x","command":"node"}]', undefined)).toThrow(
      /STDIO_TEMPLATES: \/0\/command must be an absolute/,
    );
    expect(() =>
      parseStdioTemplates(
        '[{"id":"x","name":"x","command":"/bin/x","tenantEnv":{"A":{"pattern":"("}}}]',
        undefined,
      ),
    ).toThrow(/tenantEnv\/A\/pattern must be a valid regular expression/);
    expect(() => parseStdioTemplates(JSON.stringify([twikit, twikit]), undefined)).toThrow(/defined twice/);
    expect(() => parseStdioTemplates('{', undefined)).toThrow(/STDIO_TEMPLATES is not valid JSON/);
    const file = join(mkdtempSync(join(tmpdir(), 'tpl-')), 't.json');
    writeFileSync(file, JSON.stringify([twikit]));
    expect(parseStdioTemplates(undefined, file)[0]!.limits.memoryMb).toBe(2048);
  });
});
