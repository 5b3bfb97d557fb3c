export { listAuditRoute as GET } from '../../../../modules/api/v1/audit';
