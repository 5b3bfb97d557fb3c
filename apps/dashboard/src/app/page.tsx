import Link from 'next/link';
import { redirect } from 'next/navigation';
import { auth } from '../auth';
import { listUserOrganizations } from '../modules/orgs/membership';
import { db } from '../server/db';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const session = await auth();
  if (!session?.user?.id) return <Landing />;
  const orgs = await listUserOrganizations(db(), session.user.id);
  if (orgs[0]) redirect(`/o/${orgs[0].slug}/servers`);
  redirect('/orgs/new');
}

function Landing() {
  return (
    <main id="main" className="mx-auto max-w-3xl px-6 py-20">
      <p className="text-sm font-semibold tracking-widest text-slate-500">PORTCULLIS</p>
      <h1 className="mt-3 text-4xl font-semibold text-slate-900">
        Policy in front of every MCP tool call your agents make.
      </h1>
      <p className="mt-4 text-lg text-slate-600">
        Register the MCP servers your agents use, see every tool classified by risk, set per-tool rules
        (allow, deny with a reason, hide, rate-limit, require a person&apos;s approval, conditions on
        arguments) and hand each agent a proxy URL. The gateway enforces the rules on every call and records
        it.
      </p>
      <div className="mt-8 flex gap-3">
        <Link href="/signup" className="btn btn-primary">
          Create an account
        </Link>
        <Link href="/signin" className="btn">
          Sign in
        </Link>
      </div>
    </main>
  );
}
