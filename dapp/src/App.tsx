import { lazy } from "react";
import { createHashRouter } from "react-router";
import { RouterProvider } from "react-router/dom";

import { Layout } from "./components/Layout.tsx";
import { RouteError } from "./components/RouteError.tsx";
import MarketplacePage from "./pages/marketplace/MarketplacePage.tsx";

// The marketplace is the landing page and ships in the entry chunk; every other page loads on demand,
// inside the RainbowKit scope (components/Wallet.tsx), which the marketplace does not wait for.
const ResourcePage = lazy(() => import("./pages/resource/ResourcePage.tsx"));
const ProviderPage = lazy(() => import("./pages/resource/ProviderPage.tsx"));
const ProviderConsole = lazy(() => import("./pages/provider/ProviderConsole.tsx"));
const BookingsPage = lazy(() => import("./pages/bookings/BookingsPage.tsx"));
const GovernancePage = lazy(() => import("./pages/governance/GovernancePage.tsx"));
const ProposalPage = lazy(() => import("./pages/governance/ProposalPage.tsx"));
const NewProposalPage = lazy(() => import("./pages/governance/NewProposalPage.tsx"));
const AnalyticsPage = lazy(() => import("./pages/analytics/AnalyticsPage.tsx"));
const TransactionPage = lazy(() => import("./pages/TransactionPage.tsx"));

const router = createHashRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [{ index: true, element: <MarketplacePage /> }],
  },
  {
    lazy: async () => ({ Component: (await import("./components/Wallet.tsx")).WalletScope }),
    errorElement: <RouteError />,
    children: [
      { path: "resources/:id", element: <ResourcePage /> },
      { path: "providers/:address", element: <ProviderPage /> },
      { path: "provider", element: <ProviderConsole /> },
      { path: "bookings", element: <BookingsPage /> },
      { path: "governance", element: <GovernancePage /> },
      { path: "governance/new", element: <NewProposalPage /> },
      { path: "governance/:id", element: <ProposalPage /> },
      { path: "analytics", element: <AnalyticsPage /> },
      { path: "tx/:hash", element: <TransactionPage /> },
      { path: "*", element: <RouteError /> },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
