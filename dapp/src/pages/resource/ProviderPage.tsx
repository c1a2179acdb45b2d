import { Page } from "../../components/Layout.tsx";

export default function ProviderPage() {
  return <Page title="ProviderPage">{null}</Page>;
}
