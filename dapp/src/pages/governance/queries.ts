import { graphql } from "../../generated/gql/index.ts";

export const PROPOSALS_PER_PAGE = 10;

export const ProposalsQuery = graphql(`
  query GovernanceProposals($first: Int!, $skip: Int!) {
    proposals(first: $first, skip: $skip, orderBy: createdAt, orderDirection: desc) {
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
  }
`);

export const ProposalQuery = graphql(`
  query GovernanceProposal($id: ID!) {
    proposal(id: $id) {
      id
      proposer {
        id
      }
      targets
      values
      calldatas
      description
      voteStart
      voteEnd
      status
      forVotes
      againstVotes
      abstainVotes
      voteCount
      createdAt
      transactionHash
      queuedAt
      eta
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
