import { describe, expect, it } from 'vitest';
import {
  blockedReason,
  guardArguments,
  guardResult,
  MAX_SCAN_CHARS,
  type ActiveGuards,
} from '../src/scan.ts';

const gh = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const guards = (entries: Record<string, 'block' | 'redact' | 'flag'>): ActiveGuards =>
  new Map(Object.entries(entries));

describe('guardArguments', () => {
  it('blocks naming the detector and where, never the value', () => {
    const outcome = guardArguments({ text: `token ${gh}`, n: 3 }, guards({ secrets: 'block' }), {});
    expect(outcome.blocked).toEqual({ detector: 'secrets', where: '/text' });
    const reason = blockedReason('arguments', outcome.blocked!);
    expect(reason).toContain('secrets');
    expect(reason).toContain('/text');
    expect(reason).not.toContain(gh);
    expect(outcome.findings).toEqual([{ detector: 'secrets', where: '/text', count: 1, action: 'block' }]);
  });
  it('passes clean arguments unchanged (same object)', () => {
    const args = { text: 'hello' };
    const outcome = guardArguments(args, guards({ secrets: 'block', email: 'redact' }), {});
    expect(outcome.value).toBe(args);
    expect(outcome.findings).toEqual([]);
  });
});

describe('guardResult', () => {
  it('redacts text, nested structured content and embedded resources; the original is untouched', () => {
    const result = {
      content: [
        { type: 'text', text: `key=${gh}; mail jane@example.com` },
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: `x ${gh} y` } },
      ],
      structuredContent: { items: [{ user: { notes: [`call ${gh}`] } }] },
    };
    const before = JSON.stringify(result);
    const outcome = guardResult(result, guards({ secrets: 'redact', email: 'flag' }), {});
    expect(JSON.stringify(result)).toBe(before);
    expect(outcome.redacted).toBe(true);
    const text = JSON.stringify(outcome.value);
    expect(text).not.toContain(gh);
    expect(outcome.value.content[0]!.text).toBe('key=[REDACTED:secrets]; mail jane@example.com');
    expect(outcome.value.content[1]!.resource!.text).toBe('x [REDACTED:secrets] y');
    expect(outcome.value.structuredContent.items[0]!.user.notes[0]).toBe('call [REDACTED:secrets]');
    expect(outcome.findings).toEqual(
      expect.arrayContaining([
        { detector: 'secrets', where: '/content/0/text', count: 1, action: 'redact' },
        { detector: 'email', where: '/content/0/text', count: 1, action: 'flag' },
        { detector: 'secrets', where: '/content/1/resource/text', count: 1, action: 'redact' },
        { detector: 'secrets', where: '/structuredContent/items/0/user/notes/0', count: 1, action: 'redact' },
      ]),
    );
  });

  it('finds a secret split across two text blocks and redacts both halves', () => {
    const result = {
      content: [
        { type: 'text', text: `the token is ${gh.slice(0, 20)}` },
        { type: 'text', text: `${gh.slice(20)} and more` },
      ],
    };
    const outcome = guardResult(result, guards({ secrets: 'redact' }), {});
    expect(outcome.value.content[0]!.text).toBe('the token is [REDACTED:secrets]');
    expect(outcome.value.content[1]!.text).toBe('[REDACTED:secrets] and more');
  });

  it('scans a value’s strings together, yet no match spans two strings that are not adjacent text blocks', () => {
    // Two argument values that only form a token when glued: not a secret.
    const split = guardArguments({ a: gh.slice(0, 20), b: gh.slice(20) }, guards({ secrets: 'block' }), {});
    expect(split.findings).toEqual([]);
    // Each string's own secrets are found, at their own place.
    const both = guardArguments(
      { a: `x ${gh}`, b: 'nothing', c: [`y ${gh} z`] },
      guards({ secrets: 'redact' }),
      {},
    );
    expect(both.value).toEqual({ a: 'x [REDACTED:secrets]', b: 'nothing', c: ['y [REDACTED:secrets] z'] });
    expect(both.findings.map((f) => f.where)).toEqual(['/a', '/c/0']);
  });

  it('finds a secret split across text blocks far from the boundary, and a tenant pattern across one', () => {
    const pad = 'x '.repeat(400);
    const result = {
      content: [
        { type: 'text', text: `${pad}${gh.slice(0, 10)}` },
        { type: 'text', text: gh.slice(10, 30) },
        { type: 'text', text: `${gh.slice(30)} ${pad}` },
      ],
    };
    const outcome = guardResult(result, guards({ secrets: 'redact' }), {});
    expect(outcome.value.content.map((c) => c.text.includes('[REDACTED:secrets]'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(JSON.stringify(outcome.value)).not.toContain(gh.slice(0, 10));
    const ticket = guardResult(
      {
        content: [
          { type: 'text', text: 'see TICK' },
          { type: 'text', text: 'ET-1234 now' },
        ],
      },
      guards({ 'pattern:ticket': 'redact' }),
      { ticket: 'TICKET-[0-9]{4}' },
    );
    expect(ticket.value.content.map((c) => c.text)).toEqual([
      'see [REDACTED:pattern:ticket]',
      '[REDACTED:pattern:ticket] now',
    ]);
  });

  it('oversized content: refused under block/redact guards, flagged under flag-only guards', () => {
    const big = { content: [{ type: 'text', text: 'a'.repeat(MAX_SCAN_CHARS + 10) }] };
    expect(guardResult(big, guards({ secrets: 'redact' }), {}).blocked?.detector).toBe('oversized');
    const flagged = guardResult(big, guards({ secrets: 'flag' }), {});
    expect(flagged.blocked).toBeUndefined();
    expect(flagged.findings).toContainEqual({ detector: 'oversized', where: '', count: 1, action: 'flag' });
  });

  it('does not touch blobs or protocol words', () => {
    const result = {
      content: [
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'x:y', blob: gh } },
      ],
    };
    expect(guardResult(result, guards({ secrets: 'block' }), {}).blocked).toBeUndefined();
  });
});

describe('tenant patterns (RE2)', () => {
  it('redacts a named pattern', () => {
    const outcome = guardResult(
      { content: [{ type: 'text', text: 'ticket ACME-123456 open' }] },
      guards({ 'pattern:ticket': 'redact' }),
      { ticket: '(?i)acme-[0-9]{6}' },
    );
    expect(outcome.value.content[0]!.text).toBe('ticket [REDACTED:pattern:ticket] open');
  });
  it('redacts at the right place in ASCII text and in text with other characters', () => {
    for (const before of [
      'ticket ',
      'caf\u00e9 ',
      '\u4e2d\u6587 ',
      '\u{1F600} ',
      'a\u{1F600}b ACME-000001 ',
    ]) {
      const outcome = guardResult(
        { content: [{ type: 'text', text: `${before}ACME-123456 open \u00e9` }] },
        guards({ 'pattern:ticket': 'redact' }),
        { ticket: '(?i)acme-[0-9]{6}' },
      );
      expect(outcome.value.content[0]!.text).toBe(
        `${before.replace('ACME-000001', '[REDACTED:pattern:ticket]')}[REDACTED:pattern:ticket] open \u00e9`,
      );
    }
  });
  it('a catastrophic-backtracking pattern runs in linear time', () => {
    const evil = '(a+)+$';
    const text = 'a'.repeat(50_000) + '!';
    // A backtracking engine takes exponential time on this; measured with CPU time, not wall time.
    const cpu = (n: number) => {
      const subject = { t: text.slice(0, n) + '!' };
      const before = process.cpuUsage();
      guardArguments(subject, guards({ 'pattern:evil': 'flag' }), { evil });
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000;
    };
    cpu(1000);
    const small = cpu(5_000);
    const large = cpu(50_000);
    expect(large).toBeLessThan(500);
    // Ten times the text takes about ten times as long (bounded generously for a busy machine).
    expect(large).toBeLessThan(Math.max(small, 1) * 60);
  });
});

describe('tenant patterns at save', () => {
  it('refuses what RE2 cannot compile, with the reason and the path', async () => {
    const { checkTenantPatterns } = await import('../src/tenant-patterns.ts');
    const errors = checkTenantPatterns({
      ok: '[0-9]{6}',
      backref: '(a)\\1',
      lookahead: 'a(?=b)',
      empty: 'x*',
    });
    expect(errors.map((e) => e.pointer)).toEqual([
      '/patterns/backref',
      '/patterns/lookahead',
      '/patterns/empty',
    ]);
    expect(errors[0]!.message).toMatch(/not a valid RE2 pattern \(.+\)/);
    expect(errors[2]!.message).toContain('empty');
  });
});
