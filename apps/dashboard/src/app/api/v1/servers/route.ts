export { listServersRoute as GET, createServerRoute as POST } from '../../../../modules/api/v1/servers';
