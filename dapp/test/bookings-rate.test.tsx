import { ApolloClient, ApolloLink, InMemoryCache } from "@apollo/client";
import { ApolloProvider } from "@apollo/client/react";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { ToastProvider } from "../src/lib/toasts.tsx";
import { RateBooking } from "../src/pages/bookings/RateBooking.tsx";

function renderRating() {
  const client = new ApolloClient({ cache: new InMemoryCache(), link: ApolloLink.empty() });
  return render(
    <ApolloProvider client={client}>
      <ToastProvider>
        <RateBooking bookingId="7" />
      </ToastProvider>
    </ApolloProvider>,
  );
}

afterEach(cleanup);

describe("RateBooking", () => {
  it("is a labelled group of five radio buttons; submitting waits for a choice", async () => {
    renderRating();
    const group = screen.getByRole("group", { name: "Rate the provider" });
    expect(group).toBeInTheDocument();
    expect(screen.getAllByRole("radio")).toHaveLength(5);
    const submit = screen.getByRole("button", { name: "Submit rating" });
    expect(submit).toBeDisabled();

    await userEvent.click(screen.getByRole("radio", { name: /4 stars/ }));
    expect(screen.getByRole("radio", { name: /4 stars/ })).toBeChecked();
    expect(screen.getByText("Very good")).toBeInTheDocument();
    expect(submit).toBeEnabled();
  });

  it("works from the keyboard", async () => {
    renderRating();
    const user = userEvent.setup();
    await user.tab();
    expect(screen.getByRole("radio", { name: /1 star/ })).toHaveFocus();
    await user.keyboard("{ArrowRight}{ArrowRight}");
    expect(screen.getByRole("radio", { name: /3 stars/ })).toBeChecked();
    expect(screen.getByRole("button", { name: "Submit rating" })).toBeEnabled();
  });
});
