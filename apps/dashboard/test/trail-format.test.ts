// The admin trail in words: targets by name, details as labelled values, never raw ids or JSON.
import { describe, expect, it } from 'vitest';
import { describeDetails, describeTarget } from '../src/modules/trail/trail-format.ts';

const names = new Map([
  ['cm0server000000000000000a', 'Twikit'],
  ['cm0grant0000000000000000b', 'laptop agent'],
]);

describe('describeTarget', () => {
  it('names the target', () => {
    expect(describeTarget({ targetType: 'server', targetId: 'cm0server000000000000000a' }, names)).toBe(
      'Server Twikit',
    );
    expect(describeTarget({ targetType: 'api_key', targetId: 'cm0gone00000000000000000z' }, names)).toBe(
      'API key (no longer exists)',
    );
    expect(describeTarget({ targetType: 'organization', targetId: null }, names)).toBe('Organization');
  });
});

describe('describeDetails', () => {
  it('labels each value and resolves ids', () => {
    expect(
      describeDetails({ serverId: 'cm0server000000000000000a', version: 3, message: null }, names),
    ).toEqual([
      { label: 'Server', value: 'Twikit' },
      { label: 'Version', value: '3' },
    ]);
    expect(describeDetails({ total: 62, added: 62, changedTools: [] }, names)).toEqual([
      { label: 'Total', value: '62' },
      { label: 'Added', value: '62' },
    ]);
    expect(
      describeDetails({ classifier: { category: 'write', severity: 'low' }, override: null }, names),
    ).toEqual([
      { label: 'Classifier', value: 'category write, severity low' },
      { label: 'Override', value: 'none' },
    ]);
  });

  it('shortens hashes and never prints JSON', () => {
    const rows = describeDetails({ hash: 'a'.repeat(64), tags: ['x', 'y'], nested: { a: { b: 1 } } }, names);
    expect(rows[0]).toEqual({ label: 'Hash', value: 'aaaaaaaaaaaa…' });
    expect(rows[1]).toEqual({ label: 'Tags', value: 'x, y' });
    expect(JSON.stringify(rows)).not.toMatch(/\{\\"/);
  });
});
