import Link from 'next/link';

export default function NotFound() {
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4">
      <div className="card max-w-md p-6 text-center">
        <h1 className="h1">Not found</h1>
        <p className="muted mt-2">This page does not exist, or you do not have access to it.</p>
        <Link href="/" className="btn mt-4">
          Go to your organization
        </Link>
      </div>
    </main>
  );
}
