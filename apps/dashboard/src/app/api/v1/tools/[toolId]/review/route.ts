export { reviewToolRoute as POST } from '../../../../../../modules/api/v1/tools';
