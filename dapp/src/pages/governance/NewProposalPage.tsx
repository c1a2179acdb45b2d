import { Page } from "../../components/Layout.tsx";

export default function NewProposalPage() {
  return <Page title="NewProposalPage">{null}</Page>;
}
