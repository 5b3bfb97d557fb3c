import { corsPreflight, metadataRoute } from '../../../modules/oauth/routes';

export const dynamic = 'force-dynamic';
export const GET = metadataRoute;
export const OPTIONS = corsPreflight;
