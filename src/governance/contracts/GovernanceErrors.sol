// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

// Why a governance call or decision was refused. Custom errors keep the contracts small (no strings
// in the code) and carry their arguments; src/governance/revert-reasons.ts turns each into the
// sentence the CLI and JSON-RPC show, and a unit test keeps that table complete.

// Genesis
error MinValidatorsTooLow();
error NoFoundingVoter();
error MissingPolicy();
error DuplicatePolicy(uint8 kind);
error TooFewFoundingValidators(uint256 minValidators);

// Proposals and votes
error UnknownDecisionType(uint8 kind);
error PayloadMismatch(uint8 kind);
error UnknownProposal(uint256 id);
error ProposalIsExpired(uint256 id);
error ProposalDecided(uint256 id);
error VotingPeriodNotOver(uint256 id, uint64 deadline);
error NotVotingAdmin(address caller);
error NotEligible(bytes32 party);
error AlreadyVoted(bytes32 party);
error OnlyApprovedProposal();
error DecisionOutOfGas();
/// preflight() ends with this when the decision would apply (it always reverts, so nothing changes).
error PreflightPassed();

// Parties
error EmptyPartyId();
error PartyIdUsed(bytes32 id);
error BadPartyKind(uint8 kind);
error BadPartyName();
error BadAdminCount();
error TooManyParties();
error ZeroAddress();
error AdminOfAParty(address account);
error AccountOfAParty(address account);
error PartyNotActive(bytes32 id);
error PartyNotSuspended(bytes32 id);
error PartyNotFrozen(bytes32 id);
/// RotateAdmins is proposed only by the party whose keys it replaces.
error NotOwnParty(bytes32 party);
error PartyNotCurrent(bytes32 id);
error VetoPartyNotCurrent(bytes32 id);
error NoVoterLeft();

// Nodes and validators
error EndpointTooLong();
error TooManyNodes();
error NodeAlreadyActive(address node);
error NodeNotActive(address node);
error AlreadyValidator(address node);
error AlreadyCandidate(address node);
error NotValidator(address node);
error NotCandidate(address node);
error TooFewValidators(uint256 minValidators);
error BadMinValidators(uint16 requested, uint256 validators);

// Code, contracts, policies, accounts, parameters
error ZeroCodeHash();
error CodeAlreadyApproved(bytes32 hash);
error CodeNotApproved(bytes32 hash);
error NotAContract(address account);
error BadThreshold(uint8 percent);
error UnreachableThreshold();
error BadVotingPeriod(uint64 seconds_);
error TooManyVetoParties();
error BadPermissions(uint8 bits);
error AdminHasAllPermissions(address account);
error NoChainParametersContract(address at);

// Private data collections
error EmptyCollectionId();
error BadRetention(uint64 seconds_);
error BadMemberCount();
error GrantShape();
error TooManyGrants();
error TooManyCollections();
error MemberNotActive(bytes32 party);
error DuplicateMember(bytes32 party);
error ControllerNotMember(bytes32 party);
error EmptyPurposeOrBasis();
error NotALegalBasis(bytes32 basis);
error GrantToNonMember(bytes32 party);
