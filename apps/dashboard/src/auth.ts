// Auth.js with email + password (argon2id, rate-limited) and, when configured, one OIDC provider.
// Sessions are JWTs (the Credentials provider requires it); the token carries only the user id.
import NextAuth, { CredentialsSignin } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import type { Provider } from 'next-auth/providers';
import { authConfig } from './auth.config';
import { oidcConfig } from './env';
import { verifyCredentials } from './modules/accounts/signin';
import { consumeVerificationToken } from './modules/accounts/email-verification';
import { signupPolicy } from './modules/accounts/signup-policy';
import {
  findOrCreateOidcUser,
  OIDC_EMAIL_UNVERIFIED,
  OIDC_SIGNUP_REFUSED,
  OidcLinkRefused,
  OidcSignupRefused,
} from './modules/accounts/oidc';
import { db } from './server/db';

class RateLimited extends CredentialsSignin {
  override code = 'rate_limited';
}

/**
 * The address the per-address sign-in limit counts. The rightmost X-Forwarded-For entry is the one
 * added by the nearest proxy (or by `next start` itself from the socket when the request carried
 * none); entries to its left are whatever the client wrote, so using the first one let anyone
 * dodge the limit by sending a new value each time. (A client talking to `next start` directly
 * still chooses the only entry: run the dashboard behind a proxy that sets the header. The
 * per-email limit holds either way.)
 */
function clientIp(request: Request): string | null {
  const forwarded = request.headers.get('x-forwarded-for');
  return forwarded?.split(',').at(-1)?.trim() || request.headers.get('x-real-ip') || null;
}

function providers(): Provider[] {
  const list: Provider[] = [
    Credentials({
      credentials: {
        email: { label: 'Email', type: 'email' },
        password: { label: 'Password', type: 'password' },
      },
      async authorize(credentials, request) {
        const result = await verifyCredentials(db(), {
          email: String(credentials?.email ?? ''),
          password: String(credentials?.password ?? ''),
          ip: clientIp(request),
        });
        if (result.ok) return { id: result.user.id, email: result.user.email, name: result.user.name };
        if (result.reason === 'rate_limited') throw new RateLimited();
        return null;
      },
    }),
    // The e-mail verification link: single use; confirming it verifies the address and signs in.
    Credentials({
      id: 'email-link',
      credentials: { token: { label: 'Link', type: 'text' } },
      async authorize(credentials) {
        const user = await consumeVerificationToken(db(), String(credentials?.token ?? ''));
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ];
  const oidc = oidcConfig();
  if (oidc) {
    list.push({
      id: 'oidc',
      name: oidc.name,
      type: 'oidc',
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
    });
  }
  return list;
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  ...authConfig,
  providers: providers(),
  callbacks: {
    ...authConfig.callbacks,
    async signIn({ account, user, profile }) {
      if (account?.provider !== 'oidc') return true;
      if (!user?.email) return `/signin?error=${OIDC_EMAIL_UNVERIFIED}`;
      try {
        // Stored on the user so the jwt callback (next) finds it without asking again.
        (user as { id?: string }).id = await findOrCreateOidcUser(
          db(),
          {
            email: user.email,
            name: user.name ?? null,
            subject: account.providerAccountId,
            // Only a literal true counts: "true" strings, missing claims and the like do not verify.
            emailVerified: profile?.email_verified === true,
          },
          signupPolicy(),
        );
        return true;
      } catch (error) {
        if (error instanceof OidcLinkRefused) return `/signin?error=${OIDC_EMAIL_UNVERIFIED}`;
        if (error instanceof OidcSignupRefused) return `/signin?error=${OIDC_SIGNUP_REFUSED}`;
        throw error;
      }
    },
    async jwt({ token, user }) {
      if (user?.id) token.uid = user.id;
      return token;
    },
  },
}));
