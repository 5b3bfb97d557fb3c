import { corsPreflight, tokenRoute } from '../../../modules/oauth/routes';

export const dynamic = 'force-dynamic';
export const POST = tokenRoute;
export const OPTIONS = corsPreflight;
