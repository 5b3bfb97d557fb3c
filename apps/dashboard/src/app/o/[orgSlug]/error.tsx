'use client';

export default function OrgError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div role="alert" className="card max-w-xl p-6">
      <h1 className="h1">Something went wrong</h1>
      <p className="muted mt-2">
        The page could not be loaded. {error.digest ? `Reference: ${error.digest}.` : ''}
      </p>
      <button type="button" className="btn mt-4" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
