export {
  getToolsetRoute as GET,
  putToolsetRoute as PUT,
  patchToolsetRoute as PATCH,
  deleteToolsetRoute as DELETE,
} from '../../../../../modules/api/v1/toolsets';
