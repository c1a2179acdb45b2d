/**
 * Browser notifications while a tab of the dApp is open: nothing is sent anywhere (there is no
 * backend), the open page watches the chain's clock and shows them. They are asked for only when
 * the user clicks to allow them, and each alert is shown once (remembered in this browser).
 */
import { useCallback, useEffect, useState } from "react";

export type NotificationState = NotificationPermission | "unsupported";

const supported = () => typeof window !== "undefined" && "Notification" in window;

/** The page's notification permission, and a way to ask for it (it must follow a click). */
export function useNotificationPermission(): [NotificationState, () => Promise<void>] {
  const [state, setState] = useState<NotificationState>(() => (supported() ? Notification.permission : "unsupported"));
  const ask = useCallback(async () => {
    if (!supported()) return;
    setState(await Notification.requestPermission());
  }, []);
  return [state, ask];
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

/** Shows each of `alerts` once as a browser notification, when the user has allowed them. */
export function useAlertNotifications(alerts: readonly Alert[]): void {
  const keys = alerts.map((alert) => alert.key).join("\n");
  useEffect(() => {
    if (!supported() || Notification.permission !== "granted" || alerts.length === 0) return;
    const shown = shownAlerts();
    const fresh = alerts.filter((alert) => !shown.includes(alert.key));
    if (fresh.length === 0) return;
    for (const alert of fresh) new Notification(alert.title, { body: alert.body, tag: alert.key });
    localStorage.setItem(SHOWN_KEY, JSON.stringify([...shown, ...fresh.map((alert) => alert.key)].slice(-REMEMBERED)));
    // The alerts are compared by their keys: a new array with the same alerts shows nothing again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keys]);
}
