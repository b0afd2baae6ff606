import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Shared pieces of every page: the live status line, labelled fields, field errors, page headings. */

type Listener = (message: string) => void;
let announceTo: Listener = () => {};

/** Says something in the page's `aria-live` status line (screen readers read it out). */
export function announce(message: string) {
  announceTo(message);
}

export function StatusLine() {
  const [message, setMessage] = useState('');
  useEffect(() => {
    announceTo = setMessage;
  }, []);
  return (
    <p class="status-line" role="status" aria-live="polite">
      {message}
    </p>
  );
}

/** The page's title; it takes the focus when the page opens, so keyboard and screen-reader users land on it. */
export function PageTitle(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {props.children}
    </h1>
  );
}

let fieldCounter = 0;
const useId = () => useRef(`f${++fieldCounter}`).current;

interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  type?: 'text' | 'password' | 'number';
  name?: string;
  required?: boolean;
  multiline?: boolean;
  rows?: number;
  autocomplete?: string;
}

/** A labelled input whose API error is shown under it and announced with it (aria-describedby, aria-invalid). */
export function Field(props: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': described,
    onInput: (event: Event) => props.onInput((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 6} spellcheck={false} />
      ) : (
        <input
          {...({
            ...common,
            type: props.type ?? 'text',
            autocomplete: props.autocomplete ?? 'off',
          } as unknown as JSX.IntrinsicElements['input'])}
        />
      )}
      {props.hint && (
        <small id={hintId} class="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={errorId} class="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}

export function Select(props: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(event) => props.onChange((event.currentTarget as HTMLSelectElement).value)}>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

/** An error of the API that belongs to a whole form or section, not one field. */
export function ErrorNote(props: { message: string | null | undefined }) {
  if (!props.message) return null;
  return (
    <p class="error-note" role="alert">
      {props.message}
    </p>
  );
}

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
