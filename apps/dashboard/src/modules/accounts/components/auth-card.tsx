import type { ReactNode } from 'react';

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <p className="mb-6 text-center text-sm font-semibold tracking-wide text-slate-500 uppercase">
          Portcullis
        </p>
        <div className="card p-6">
          <h1 className="h1 mb-5">{title}</h1>
          {children}
        </div>
      </div>
    </main>
  );
}
