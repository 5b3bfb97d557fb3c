export { GET } from '../../../modules/api/health';

export const dynamic = 'force-dynamic';
