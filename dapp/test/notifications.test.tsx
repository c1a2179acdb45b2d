import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { type Alert, useAlertNotifications } from "../src/lib/notifications.ts";

/** The browser's Notification, as jsdom has none: records what the page shows. */
const shown: string[] = [];
class RecordingNotification {
  static permission: NotificationPermission = "default";
  static requestPermission = vi.fn(async () => "granted" as NotificationPermission);
  constructor(title: string) {
    shown.push(title);
  }
}

let state: PermissionState = "prompt";
beforeEach(() => {
  shown.length = 0;
  localStorage.clear();
  state = "prompt";
  vi.stubGlobal("Notification", RecordingNotification);
  Object.defineProperty(navigator, "permissions", {
    configurable: true,
    value: { query: async () => ({ state, addEventListener: () => {}, removeEventListener: () => {} }) },
  });
});
afterEach(() => vi.unstubAllGlobals());

const alert = (key: string): Alert => ({ key, title: `Alert ${key}`, body: "" });

describe("useAlertNotifications", () => {
  it("shows nothing until the user allows notifications, then each alert once", async () => {
    const { result, rerender } = renderHook(({ alerts }) => useAlertNotifications(alerts), {
      initialProps: { alerts: [alert("a")] },
    });
    await waitFor(() => expect(result.current[0]).toBe("default"));
    expect(shown).toEqual([]);

    await act(() => result.current[1]());
    await waitFor(() => expect(shown).toEqual(["Alert a"]));
    rerender({ alerts: [alert("a")] });
    rerender({ alerts: [alert("a"), alert("b")] });
    await waitFor(() => expect(shown).toEqual(["Alert a", "Alert b"]));
  });

  it("remembers what it showed across page loads", async () => {
    state = "granted";
    const first = renderHook(() => useAlertNotifications([alert("a")]));
    await waitFor(() => expect(shown).toEqual(["Alert a"]));
    first.unmount();
    const second = renderHook(() => useAlertNotifications([alert("a")]));
    await waitFor(() => expect(second.result.current[0]).toBe("granted"));
    expect(shown).toEqual(["Alert a"]);
  });
});
