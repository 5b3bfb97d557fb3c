import { corsPreflight, registerRoute } from '../../../modules/oauth/routes';

export const dynamic = 'force-dynamic';
export const POST = registerRoute;
export const OPTIONS = corsPreflight;
