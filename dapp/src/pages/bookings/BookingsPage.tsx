import { Page } from "../../components/Layout.tsx";

export default function BookingsPage() {
  return <Page title="BookingsPage">{null}</Page>;
}
