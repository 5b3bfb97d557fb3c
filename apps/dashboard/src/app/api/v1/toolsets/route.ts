export { listToolsetsRoute as GET, createToolsetRoute as POST } from '../../../../modules/api/v1/toolsets';
