export { listToolsRoute as GET } from '../../../../../../modules/api/v1/servers';
