import { oidcConfig } from '../../../env';
import { oidcSignInAction } from '../actions';

export function OidcButton() {
  const oidc = oidcConfig();
  if (!oidc) return null;
  return (
    <form className="mt-4 border-t border-slate-200 pt-4" action={oidcSignInAction}>
      <button type="submit" className="btn w-full">
        Continue with {oidc.name}
      </button>
    </form>
  );
}
