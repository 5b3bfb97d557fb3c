export { listPolicyVersionsRoute as GET } from '../../../../../../../modules/api/v1/policies';
