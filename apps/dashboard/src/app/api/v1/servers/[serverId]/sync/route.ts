export { syncServerRoute as POST } from '../../../../../../modules/api/v1/servers';
