export { getPolicyRoute as GET, putPolicyRoute as PUT } from '../../../../../../modules/api/v1/policies';
