import { PolicyLanguagePage } from '../../../modules/policies/policy-language-page';

export const metadata = { title: 'Policy language' };

export default function Page() {
  return <PolicyLanguagePage />;
}
