/** Short-lived notices in a corner of the screen, announced to screen readers. */
import { type ReactNode, createContext, useCallback, useContext, useMemo, useState } from "react";

export type ToastTone = "info" | "success" | "error";

interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  body?: ReactNode;
}

type Notify = (toast: Omit<Toast, "id">) => void;

const ToastContext = createContext<Notify>(() => {});

const TONES: Record<ToastTone, string> = {
  info: "border-sky-500/40 bg-slate-900",
  success: "border-emerald-500/50 bg-slate-900",
  error: "border-rose-500/60 bg-slate-900",
};

let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((toast) => toast.id !== id)), []);
  const notify = useCallback<Notify>(
    (toast) => {
      const id = nextId++;
      setToasts((all) => [...all.slice(-4), { ...toast, id }]);
      setTimeout(() => dismiss(id), toast.tone === "error" ? 10_000 : 6_000);
    },
    [dismiss],
  );
  const value = useMemo(() => notify, [notify]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        aria-live="polite"
        className="pointer-events-none fixed inset-x-2 bottom-2 z-50 flex flex-col items-end gap-2 sm:inset-x-auto sm:right-4 sm:bottom-4"
      >
        {toasts.map((toast) => (
          <div
            key={toast.id}
            role={toast.tone === "error" ? "alert" : "status"}
            className={`pointer-events-auto w-full max-w-sm rounded-lg border p-3 text-sm shadow-lg ${TONES[toast.tone]}`}
          >
            <div className="flex items-start justify-between gap-3">
              <p className="font-medium text-slate-100">{toast.title}</p>
              <button
                type="button"
                onClick={() => dismiss(toast.id)}
                className="text-slate-400 hover:text-slate-100"
                aria-label="Dismiss"
              >
                ×
              </button>
            </div>
            {toast.body ? <div className="mt-1 text-slate-300">{toast.body}</div> : null}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): Notify {
  return useContext(ToastContext);
}
