import { Page } from "../../components/Layout.tsx";

export default function AnalyticsPage() {
  return <Page title="AnalyticsPage">{null}</Page>;
}
