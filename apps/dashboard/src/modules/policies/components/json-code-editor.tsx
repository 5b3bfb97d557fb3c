'use client';

// CodeMirror 6 over the policy JSON. Until it mounts (or without JavaScript) the plain textarea
// with the same label is the editor, so the page works either way.
import { useEffect, useRef, useState } from 'react';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';

export interface EditorDiagnostic {
  from: number;
  to: number;
  message: string;
}

export function JsonCodeEditor({
  value,
  onChange,
  diagnostics,
  label,
  name,
  readOnly,
}: {
  value: string;
  onChange: (value: string) => void;
  diagnostics: EditorDiagnostic[];
  label: string;
  name: string;
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  const [mounted, setMounted] = useState(false);
  onChangeRef.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          indentOnInput(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle),
          json(),
          lintGutter(),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          EditorState.readOnly.of(Boolean(readOnly)),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
          EditorView.theme({
            '&': {
              fontSize: '12px',
              border: '1px solid rgb(203 213 225)',
              borderRadius: '6px',
              backgroundColor: 'white',
            },
            '.cm-scroller': { fontFamily: 'var(--font-mono)', minHeight: '320px', maxHeight: '560px' },
            '&.cm-focused': { outline: '2px solid rgb(2 132 199)' },
          }),
        ],
      }),
    });
    view.current = editor;
    setMounted(true);
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Created once; later value changes are pushed in by the effect below.
  }, []);

  // Outside changes (recommended policy, form edits, rollback preview) replace the editor text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const length = editor.state.doc.length;
    const list: Diagnostic[] = diagnostics.map((d) => ({
      from: Math.min(d.from, length),
      to: Math.min(Math.max(d.to, d.from), length),
      severity: 'error',
      message: d.message,
    }));
    editor.dispatch(setDiagnostics(editor.state, list));
  }, [diagnostics, mounted]);

  return (
    <div>
      {mounted ? (
        <input type="hidden" name={name} value={value} />
      ) : (
        <textarea
          aria-label={label}
          name={name}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          rows={20}
          spellCheck={false}
          readOnly={readOnly}
          className="input font-mono text-xs"
        />
      )}
      <div ref={host} className={mounted ? '' : 'hidden'} />
    </div>
  );
}
