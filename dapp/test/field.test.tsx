import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { HexField, TextField } from "../src/components/Field.tsx";

function Controlled({ onChange }: { onChange: (value: string) => void }) {
  const [value, setValue] = useState("");
  return (
    <TextField
      label="New fee (%)"
      hint="Up to two decimals."
      error="Too high"
      inputClassName="field w-40"
      inputMode="decimal"
      value={value}
      onChange={(text) => {
        setValue(text);
        onChange(text);
      }}
    />
  );
}

describe("TextField", () => {
  it("ties the label, hint and error to the input and hands over the text as typed", async () => {
    const onChange = vi.fn();
    render(<Controlled onChange={onChange} />);
    const input = screen.getByLabelText("New fee (%)");
    expect(input).toHaveProperty("className", "field w-40");
    expect(input.getAttribute("inputmode")).toBe("decimal");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    const described = (input.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id));
    expect(described.map((element) => element?.textContent)).toEqual(["Up to two decimals.", "Too high"]);

    await userEvent.type(input, "2.5");
    expect(onChange).toHaveBeenLastCalledWith("2.5");
    expect(input).toHaveProperty("value", "2.5");
  });

  it("HexField is a full-width monospace input without spell check", () => {
    render(<HexField label="Token address" value="0xabc" onChange={() => {}} />);
    const input = screen.getByLabelText("Token address");
    expect(input).toHaveProperty("className", "field w-full font-mono");
    expect(input.getAttribute("spellcheck")).toBe("false");
    expect(input.getAttribute("aria-invalid")).toBe("false");
    expect(input).toHaveProperty("value", "0xabc");
  });
});
