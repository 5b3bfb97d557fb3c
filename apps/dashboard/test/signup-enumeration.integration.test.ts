// Sign-up never tells whether an address already has an account; the owner of a taken address is told instead.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLoggedMail, db, resetDatabase, signUpOptions } from './helpers.ts';
import { signUp } from '../src/modules/accounts/signup.ts';

beforeEach(resetDatabase);
let mail: ReturnType<typeof captureLoggedMail>;
beforeEach(() => {
  mail = captureLoggedMail();
});
afterEach(() => mail.restore());

const form = (email: string, password = 'attacker chosen passphrase') => ({
  name: 'Eve',
  email,
  password,
  organizationName: 'Probe',
});

async function timed(run: () => Promise<unknown>): Promise<{ ms: number; result: unknown; error: unknown }> {
  const started = performance.now();
  let result: unknown;
  let error: unknown;
  try {
    result = await run();
  } catch (e) {
    error = e;
  }
  return { ms: performance.now() - started, result, error };
}

describe('sign-up with a taken address', () => {
  it('answers exactly as for a new address, after comparable work, and mails the owner instead', async () => {
    const owner = (await signUp(
      db,
      { name: 'Ada', email: 'ada@example.test', password: 'correct horse battery', organizationName: 'Acme' },
      signUpOptions,
    ))!;
    const users = await db.user.count();

    // The attacker probes the taken address (in another case) and a fresh one, several times each.
    const taken: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const a = await timed(() => signUp(db, form('ADA@example.test'), signUpOptions));
      const b = await timed(() => signUp(db, form(`new${i}@example.test`), signUpOptions));
      // Neither throws: the action then redirects both to the same "check your e-mail" page.
      expect(a.error).toBeUndefined();
      expect(b.error).toBeUndefined();
      taken.push(a.ms);
      fresh.push(b.ms);
    }
    // No fast path a stopwatch could tell apart (the taken branch hashes the password too, and both
    // end no sooner than the floor).
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1]!;
    expect(median(taken) / median(fresh)).toBeGreaterThan(0.8);
    expect(median(taken) / median(fresh)).toBeLessThan(1.25);

    // Nothing changed for the owner: no second account, their password still the one they chose.
    expect(await db.user.count()).toBe(users + 3);
    const row = await db.user.findUniqueOrThrow({ where: { email: 'ada@example.test' } });
    expect(row.id).toBe(owner.userId);
    // The owner hears about it; the prober's inbox would get nothing that says "taken".
    const toOwner = mail.mails().filter((m) => m.to === 'ada@example.test');
    expect(toOwner.filter((m) => /Someone tried to sign up/.test(m.subject))).toHaveLength(3);
    expect(toOwner.every((m) => !m.text.includes('attacker chosen passphrase'))).toBe(true);
    // A new address gets its verification link.
    expect(mail.link('new0@example.test')).toMatch(/^pcv_/);
  });
});
