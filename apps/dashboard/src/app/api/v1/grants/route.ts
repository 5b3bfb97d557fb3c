export { listGrantsRoute as GET, createGrantRoute as POST } from '../../../../modules/api/v1/grants';
