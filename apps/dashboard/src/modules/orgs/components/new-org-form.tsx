'use client';

import { useActionState } from 'react';
import { Field } from '../../../components/field';
import { FormStatus } from '../../../components/form-status';
import { createOrganizationAction } from '../actions';

export function NewOrgForm() {
  const [state, action, pending] = useActionState(createOrganizationAction, null);
  return (
    <form action={action} className="space-y-4">
      <Field label="Organization name" name="name" required />
      <FormStatus state={state} />
      <button type="submit" className="btn btn-primary w-full" disabled={pending}>
        Create organization
      </button>
    </form>
  );
}
