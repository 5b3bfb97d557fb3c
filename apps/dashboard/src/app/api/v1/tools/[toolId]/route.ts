export { updateToolRoute as PATCH } from '../../../../../modules/api/v1/tools';
