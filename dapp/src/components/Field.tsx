/**
 * The dApp's one way to lay out a form control: its label, the control, a hint and an error, tied
 * together for screen readers (the control gets `id`, `aria-invalid` and `aria-describedby` from
 * the render function's props). Every form uses it.
 */
import { type InputHTMLAttributes, type ReactNode, useId } from "react";

export function Field({
  label,
  error,
  hint,
  className = "",
  children,
}: {
  label: string;
  error?: string;
  hint?: ReactNode;
  className?: string;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="label">
        {label}
      </label>
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": describedBy })}
      {hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="mt-1 text-sm text-rose-300" data-field-error>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A one-line text input in a Field; `onChange` gets the text as typed. */
export function TextField({
  label,
  error,
  hint,
  className,
  inputClassName = "field",
  value,
  onChange,
  ...input
}: {
  label: string;
  error?: string;
  hint?: ReactNode;
  className?: string;
  inputClassName?: string;
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "className" | "value" | "onChange">) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(aria) => (
        <input
          {...aria}
          {...input}
          className={inputClassName}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A TextField for an address or hex data: full width, monospace, no spell check. */
export function HexField(props: Omit<Parameters<typeof TextField>[0], "inputClassName" | "spellCheck">) {
  return <TextField {...props} inputClassName="field w-full font-mono" spellCheck={false} />;
}

/** An error that concerns the whole form (upload failed, nothing to save). */
export function FormError({ message }: { message?: string }) {
  return message ? (
    <p role="alert" className="text-sm text-rose-300">
      {message}
    </p>
  ) : null;
}
