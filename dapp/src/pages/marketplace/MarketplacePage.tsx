import { Page } from "../../components/Layout.tsx";

export default function MarketplacePage() {
  return <Page title="MarketplacePage">{null}</Page>;
}
