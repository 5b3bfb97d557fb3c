'use client';

export default function RootError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4">
      <div role="alert" className="card max-w-md p-6">
        <h1 className="h1">Something went wrong</h1>
        <p className="muted mt-2">{error.digest ? `Reference: ${error.digest}.` : 'Please try again.'}</p>
        <button type="button" className="btn mt-4" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  );
}
