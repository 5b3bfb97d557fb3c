import { signIn } from '../../../auth';
import { oidcConfig } from '../../../env';

export function OidcButton() {
  const oidc = oidcConfig();
  if (!oidc) return null;
  return (
    <form
      className="mt-4 border-t border-slate-200 pt-4"
      action={async () => {
        'use server';
        await signIn('oidc', { redirectTo: '/' });
      }}
    >
      <button type="submit" className="btn w-full">
        Continue with {oidc.name}
      </button>
    </form>
  );
}
