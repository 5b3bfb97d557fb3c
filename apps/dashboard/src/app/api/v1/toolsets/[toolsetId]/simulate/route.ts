export { simulateToolsetCallRoute as POST } from '../../../../../../modules/api/v1/toolsets';
