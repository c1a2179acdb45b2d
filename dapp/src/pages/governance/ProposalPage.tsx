import { Page } from "../../components/Layout.tsx";

export default function ProposalPage() {
  return <Page title="ProposalPage">{null}</Page>;
}
