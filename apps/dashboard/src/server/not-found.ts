import { notFound } from 'next/navigation';
import { NotFoundError } from './errors';

/** For pages: a module's NotFoundError (missing or another tenant's id) becomes the 404 page. */
export async function notFoundOnMissing<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
}
