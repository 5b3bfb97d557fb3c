export { GET, POST } from '../../../../modules/accounts/auth-routes';
