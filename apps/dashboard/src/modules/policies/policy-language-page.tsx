// The policy language reference, in the dashboard: packages/policy/README.md as written (one source),
// shown as text. Found from the working directory `next start` runs in (the app's, or the repo root's).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Link from 'next/link';

const CANDIDATES = ['../../packages/policy/README.md', 'packages/policy/README.md'];

async function readReference(): Promise<string | null> {
  for (const candidate of CANDIDATES) {
    // The ignore comment belongs inside path.join: there it keeps Turbopack from tracing the whole
    // project into the build (the file is read at run time, from the checkout).
    const text = await readFile(path.join(/*turbopackIgnore: true*/ process.cwd(), candidate), 'utf8').catch(
      () => null,
    );
    if (text)
      return text.slice(
        text.indexOf('## The policy language') >= 0 ? text.indexOf('## The policy language') : 0,
      );
  }
  return null;
}

export async function PolicyLanguagePage() {
  const text = await readReference();
  return (
    <main id="main" className="mx-auto max-w-4xl space-y-4 px-6 py-8">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/" className="text-sky-800 underline">
          Back to the dashboard
        </Link>
      </nav>
      <h1 className="h1">Policy language reference</h1>
      {text ? (
        <pre className="card overflow-x-auto p-5 font-mono text-xs leading-relaxed whitespace-pre-wrap">
          {text}
        </pre>
      ) : (
        <p className="muted">The reference is in packages/policy/README.md of the Portcullis source.</p>
      )}
    </main>
  );
}
