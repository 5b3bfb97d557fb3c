// What a server action hands back to its form: an error the user can act on, or a success payload.
import { notFound, unstable_rethrow } from 'next/navigation';
import { AppError } from './errors';

export type ActionResult<T = undefined> =
  { ok: true; data: T; message?: string } | { ok: false; error: string; field?: string } | null;

/** Runs an action body; AppErrors become messages (404 stays a 404); redirects pass through. */
export async function runAction<T>(body: () => Promise<T>, message?: string): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await body(), message };
  } catch (error) {
    unstable_rethrow(error);
    if (error instanceof AppError) {
      if (error.status === 404) notFound();
      return { ok: false, error: error.message, field: error.pointer };
    }
    throw error;
  }
}
