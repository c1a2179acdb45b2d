import { Page } from "../../components/Layout.tsx";

export default function ResourcePage() {
  return <Page title="ResourcePage">{null}</Page>;
}
