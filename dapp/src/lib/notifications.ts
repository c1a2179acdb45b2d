/**
 * Browser notifications while a tab of the dApp is open: nothing is sent anywhere (there is no
 * backend), the open page watches the chain's clock and shows them. They are asked for only when
 * the user clicks to allow them, and each alert is shown once (remembered in this browser).
 */
import { useCallback, useEffect, useState } from "react";

export type NotificationState = NotificationPermission | "unsupported";

const supported = () => typeof window !== "undefined" && "Notification" in window;

/**
 * The permission as the Permissions API reports it (it also follows a change the user makes in the
 * browser's settings), else as `Notification.permission` has it.
 */
async function watchPermission(onChange: (state: NotificationState) => void): Promise<() => void> {
  if (!supported()) return () => {};
  try {
    const status = await navigator.permissions.query({ name: "notifications" });
    const report = () => onChange(status.state === "prompt" ? "default" : status.state);
    report();
    status.addEventListener("change", report);
    return () => status.removeEventListener("change", report);
  } catch {
    onChange(Notification.permission);
    return () => {};
  }
}

const SHOWN_KEY = "dcx.notified";
/** Alerts remembered as shown, oldest first; older ones are forgotten. */
const REMEMBERED = 200;

function shownAlerts(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(SHOWN_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

export interface Alert {
  /** Stays the same while the alert holds; shown once per key. */
  key: string;
  title: string;
  body: string;
}

/**
 * Shows each of `alerts` once as a browser notification, once the user has allowed them. Returns
 * the permission and a way to ask for it (it must follow a click).
 */
export function useAlertNotifications(alerts: readonly Alert[]): [NotificationState, () => Promise<void>] {
  const [permission, setPermission] = useState<NotificationState>(supported() ? "default" : "unsupported");
  useEffect(() => {
    let stop: (() => void) | undefined;
    let live = true;
    void watchPermission((state) => live && setPermission(state)).then((unwatch) => {
      if (live) stop = unwatch;
      else unwatch();
    });
    return () => {
      live = false;
      stop?.();
    };
  }, []);
  const ask = useCallback(async () => {
    if (supported()) setPermission(await Notification.requestPermission());
  }, []);

  const keys = alerts.map((alert) => alert.key).join("\n");
  useEffect(() => {
    if (permission !== "granted" || alerts.length === 0) return;
    const shown = shownAlerts();
    const fresh = alerts.filter((alert) => !shown.includes(alert.key));
    if (fresh.length === 0) return;
    for (const alert of fresh) new Notification(alert.title, { body: alert.body, tag: alert.key });
    localStorage.setItem(SHOWN_KEY, JSON.stringify([...shown, ...fresh.map((alert) => alert.key)].slice(-REMEMBERED)));
    // The alerts are compared by their keys: a new array with the same alerts shows nothing again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keys, permission]);
  return [permission, ask];
}
