export { revokeGrantRoute as POST } from '../../../../../../modules/api/v1/grants';
