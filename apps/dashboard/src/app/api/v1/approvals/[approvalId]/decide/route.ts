export { decideApprovalRoute as POST } from '../../../../../../modules/api/v1/approvals';
