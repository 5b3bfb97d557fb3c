// Edge-safe Auth.js configuration shared by proxy.ts and auth.ts: no Prisma, no Node-only modules.
import type { NextAuthConfig } from 'next-auth';

const PUBLIC_PATHS = [
  '/signin',
  '/signup',
  '/invite',
  '/verify-email',
  '/api/auth',
  '/api/health',
  '/api/v1',
  '/oauth/token',
  '/oauth/register',
  '/oauth/revoke',
  '/.well-known',
];

export const authConfig = {
  pages: { signIn: '/signin' },
  session: { strategy: 'jwt', maxAge: 8 * 60 * 60 },
  trustHost: true,
  providers: [],
  callbacks: {
    /** Used by proxy.ts: pages need a session; the REST API authenticates on its own (API keys). */
    authorized({ auth, request }) {
      const path = request.nextUrl.pathname;
      if (path === '/' || PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) return true;
      return Boolean(auth?.user);
    },
    jwt({ token, user }) {
      if (user?.id) token.uid = user.id;
      return token;
    },
    session({ session, token }) {
      if (typeof token.uid === 'string') session.user.id = token.uid;
      return session;
    },
  },
} satisfies NextAuthConfig;
