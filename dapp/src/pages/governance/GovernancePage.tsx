import { Page } from "../../components/Layout.tsx";

export default function GovernancePage() {
  return <Page title="GovernancePage">{null}</Page>;
}
