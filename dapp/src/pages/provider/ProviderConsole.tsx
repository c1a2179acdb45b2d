import { Page } from "../../components/Layout.tsx";

export default function ProviderConsole() {
  return <Page title="ProviderConsole">{null}</Page>;
}
