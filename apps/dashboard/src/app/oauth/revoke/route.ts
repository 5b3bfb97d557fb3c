import { corsPreflight, revokeRoute } from '../../../modules/oauth/routes';

export const dynamic = 'force-dynamic';
export const POST = revokeRoute;
export const OPTIONS = corsPreflight;
