import { graphql } from "../../generated/gql/index.ts";

export const PROPOSALS_PER_PAGE = 10;

/** What a proposal's card and page both show. */
export const ProposalSummaryFields = graphql(`
  fragment ProposalSummaryFields on Proposal {
    id
    proposer {
      id
    }
    description
    voteStart
    voteEnd
    status
    forVotes
    againstVotes
    abstainVotes
    voteCount
    createdAt
    eta
  }
`);

export const ProposalsQuery = graphql(`
  query GovernanceProposals($first: Int!, $skip: Int!) {
    proposals(first: $first, skip: $skip, orderBy: createdAt, orderDirection: desc) {
      ...ProposalSummaryFields
    }
  }
`);

export const ProposalQuery = graphql(`
  query GovernanceProposal($id: ID!) {
    proposal(id: $id) {
      ...ProposalSummaryFields
      targets
      values
      calldatas
      transactionHash
      queuedAt
      executedAt
      canceledAt
      votes(first: 100, orderBy: weight, orderDirection: desc) {
        id
        voter {
          id
        }
        support
        weight
        reason
        timestamp
      }
    }
  }
`);
