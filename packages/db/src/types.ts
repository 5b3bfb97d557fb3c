// Generated model types and enums, for code that must not create a client (e.g. React props).
export * from './generated/prisma/enums.ts';
export type * from './generated/prisma/models.ts';
export { Prisma } from './generated/prisma/client.ts';
