import { describe, expect, it } from 'vitest';
import { guardsForCall } from '../src/decide.ts';
import { compilePolicy } from '../src/compile.ts';
import { validatePolicy } from '../src/validate.ts';

const tool = { present: true, pinState: 'approved' as const, approvedHash: 'h', risk: 'read' as const };

describe('guards in the policy language', () => {
  it('validation names the path of each mistake', () => {
    const result = validatePolicy({
      version: '1',
      default: 'deny',
      patterns: { Bad: 'x', ok: '' },
      guards: { arguments: { secrets: 'stop', passwords: 'block', 'pattern:nope': 'flag' }, output: {} },
      tools: { t: { guards: { results: { email: 'maybe' } } } },
    });
    expect(result.ok).toBe(false);
    const pointers = result.ok ? [] : result.errors.map((e) => `${e.pointer}: ${e.message}`);
    expect(pointers).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/patterns\/Bad: must be named/),
        expect.stringMatching(/^\/patterns\/ok: must be a regular expression/),
        '/guards/arguments/secrets: must be block, redact, flag or off',
        expect.stringMatching(/^\/guards\/arguments\/passwords: is not a detector/),
        '/guards/arguments/pattern:nope: names no pattern of this policy\'s "patterns"',
        expect.stringMatching(/^\/guards\/output: is not a known key/),
        '/tools/t/guards/results/email: must be block, redact, flag or off',
      ]),
    );
  });

  it('a policy without guards is unchanged (backward compatible) and has none', () => {
    const compiled = compilePolicy({ version: '1', default: 'allow' });
    const guards = guardsForCall({ ok: true, version: 1, compiled }, tool, 'x');
    expect(guards.arguments.size + guards.results.size).toBe(0);
  });

  it("a tool's guards are laid over the server's, detector by detector; off removes one", () => {
    const compiled = compilePolicy({
      version: '1',
      default: 'deny',
      patterns: { ticket: 'T-[0-9]+' },
      guards: { arguments: { secrets: 'block' }, results: { secrets: 'redact', email: 'redact' } },
      tools: {
        '@read': { action: 'allow', guards: { results: { email: 'off', 'pattern:ticket': 'flag' } } },
      },
    });
    const active = { ok: true as const, version: 3, compiled };
    const read = guardsForCall(active, tool, 'get_tweet');
    expect([...read.arguments]).toEqual([['secrets', 'block']]);
    expect([...read.results]).toEqual([
      ['secrets', 'redact'],
      ['pattern:ticket', 'flag'],
    ]);
    const other = guardsForCall(active, { ...tool, risk: 'write' }, 'send_tweet');
    expect([...other.results]).toEqual([
      ['secrets', 'redact'],
      ['email', 'redact'],
    ]);
    expect(compiled.patterns).toEqual({ ticket: 'T-[0-9]+' });
  });
});
