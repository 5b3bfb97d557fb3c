// Redirects signed-out visitors to /signin before any page renders. Membership and role are
// checked again (with the database) by server/guard.ts on every page, action and API call.
import NextAuth from 'next-auth';
import { authConfig } from './auth.config';

const { auth } = NextAuth(authConfig);

export default auth;

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|robots.txt).*)'],
};
