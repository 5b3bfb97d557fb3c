// Errors the modules throw; pages turn NotFound into notFound(), the API into JSON with a status.
import type { z } from 'zod';

export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** JSON pointer (API input) or form field name the error is about. */
    readonly pointer?: string,
  ) {
    super(message);
  }
}

/** Missing, or belongs to another organization: the two must be indistinguishable. */
export class NotFoundError extends AppError {
  constructor(what = 'Not found') {
    super(404, what);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this action.') {
    super(403, message);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Sign in, or send an API key as "Authorization: Bearer pck_…".') {
    super(401, message);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, pointer?: string) {
    super(400, message, pointer);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, pointer?: string) {
    super(409, message, pointer);
  }
}

/**
 * Parses `input` with `schema`, or throws the ValidationError that names the first problem: the
 * field's JSON pointer (`/name`, `/limits/0/window`; `''` for the whole input) and a sentence that
 * starts with it. The one place a zod error becomes what users see.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const pointer = issue.path.length ? `/${issue.path.join('/')}` : '';
  throw new ValidationError(`${pointer ? `${pointer.slice(1)}: ` : ''}${issue.message}`, pointer);
}
