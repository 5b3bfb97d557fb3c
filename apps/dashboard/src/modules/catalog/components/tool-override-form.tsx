'use client';

import { useActionState } from 'react';
import { FormStatus } from '../../../components/form-status';
import { saveToolOverrideAction } from '../actions';

/** The editor's override of what agents see of one tool; blank fields keep the upstream's own text. */
export function ToolOverrideForm({
  orgSlug,
  tool,
}: {
  orgSlug: string;
  tool: {
    id: string;
    name: string;
    overrideName: string | null;
    overrideTitle: string | null;
    overrideDescription: string | null;
  };
}) {
  const [state, action, pending] = useActionState(saveToolOverrideAction, null);
  const overridden =
    tool.overrideName !== null || tool.overrideTitle !== null || tool.overrideDescription !== null;
  return (
    <form action={action} className="mt-3 space-y-2 border-t border-slate-200 pt-2">
      <input type="hidden" name="orgSlug" value={orgSlug} />
      <input type="hidden" name="toolId" value={tool.id} />
      <p className="font-medium">
        What agents see instead<span className="sr-only"> of {tool.name}</span>
      </p>
      <label className="block text-xs">
        Name<span className="sr-only"> override of {tool.name}</span>
        <input
          name="overrideName"
          defaultValue={tool.overrideName ?? ''}
          maxLength={128}
          placeholder={tool.name}
          className="input mt-0.5 w-full font-mono"
        />
      </label>
      <label className="block text-xs">
        Title<span className="sr-only"> override of {tool.name}</span>
        <input
          name="overrideTitle"
          defaultValue={tool.overrideTitle ?? ''}
          maxLength={200}
          className="input mt-0.5 w-full"
        />
      </label>
      <label className="block text-xs">
        Description<span className="sr-only"> override of {tool.name}</span>
        <textarea
          name="overrideDescription"
          defaultValue={tool.overrideDescription ?? ''}
          maxLength={4000}
          rows={3}
          className="input mt-0.5 w-full"
        />
      </label>
      <p className="text-slate-600">
        Blank keeps the upstream&apos;s own. Pinning still compares the upstream&apos;s definition.
      </p>
      <div className="flex gap-2">
        <button type="submit" className="btn btn-sm" disabled={pending}>
          Save override<span className="sr-only"> of {tool.name}</span>
        </button>
        {overridden ? (
          <button type="submit" name="clear" value="1" className="btn btn-sm" disabled={pending}>
            Use upstream&apos;s<span className="sr-only"> name and text for {tool.name}</span>
          </button>
        ) : null}
      </div>
      <FormStatus state={state} />
    </form>
  );
}
