import type { Metadata } from 'next';
import { AuthCard } from '../../../modules/accounts/components/auth-card';
import { SignUpForm } from '../../../modules/accounts/components/signup-form';

export const metadata: Metadata = { title: 'Create account' };

export default function SignUpPage() {
  return (
    <AuthCard title="Create your account">
      <SignUpForm />
    </AuthCard>
  );
}
