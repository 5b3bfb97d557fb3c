// The form view's content guard edits rewrite the document as the policy language says (pure).
import { describe, expect, it } from 'vitest';
import { validatePolicy } from '@portcullis/policy/validate';
import { withGuard } from '../src/modules/policies/components/guard-forms.tsx';

describe('withGuard', () => {
  it('sets, changes and removes one detector in one direction, dropping empty objects', () => {
    let guards = withGuard(undefined, 'results', 'secrets', 'redact');
    expect(guards).toEqual({ results: { secrets: 'redact' } });
    guards = withGuard(guards, 'arguments', 'pattern:ticket', 'block');
    expect(guards).toEqual({ results: { secrets: 'redact' }, arguments: { 'pattern:ticket': 'block' } });
    guards = withGuard(guards, 'results', 'secrets', 'flag');
    expect(guards?.results).toEqual({ secrets: 'flag' });
    guards = withGuard(guards, 'results', 'secrets', '');
    expect(guards).toEqual({ arguments: { 'pattern:ticket': 'block' } });
    expect(withGuard(guards, 'arguments', 'pattern:ticket', '')).toBeUndefined();
  });

  it('writes documents the validator accepts', () => {
    const guards = withGuard(
      withGuard(undefined, 'arguments', 'secrets', 'block'),
      'results',
      'email',
      'redact',
    );
    const doc = {
      version: '1',
      default: 'allow',
      guards,
      tools: { send: { action: 'allow', guards: withGuard(undefined, 'results', 'email', 'off') } },
    };
    expect(validatePolicy(doc).ok).toBe(true);
  });
});
