export { listApprovalsRoute as GET } from '../../../../modules/api/v1/approvals';
