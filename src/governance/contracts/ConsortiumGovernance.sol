// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IChainParameters, ICodeApprovals, IGovernedProxy} from "./GovernanceInterfaces.sol";
import "./GovernanceErrors.sol";
import {GovernanceState} from "./GovernanceState.sol";

/// @title ConsortiumGovernance
/// @notice The consortium's rules, on chain: parties, their admins, nodes and accounts, approved
/// contract code, and the votes that change any of them. Every node reads it from the state of the
/// parent block (who may connect, validate, transact, deploy), so every node decides the same.
///
/// Design notes (the why):
/// - It lives at a fixed address. The genesis is made by running this constructor in a scratch EVM
///   and copying the code and storage there, so nothing may depend on the address it was deployed
///   at: no immutables and no `address(this)` in the constructor.
/// - One vote per party, never per account: a party with more admin keys gets no more say.
/// - A proposal keeps the voter set, threshold and veto parties of the moment it was created, so a
///   vote can never be won by changing the rules or the members while it runs.
/// - A proposal is refused when its action could not be applied now (propose runs it as a
///   preflight that always reverts), and checked again when it executes: the state can change
///   while a proposal is open, and one that can no longer be applied ends Failed with the reason.
/// - A validator added by vote is a candidate until its own node calls activateValidator: a vote
///   for a node that never runs cannot take the network below quorum.
/// - Loops run over parties and nodes, which a consortium has tens of; hard caps keep them bounded.
contract ConsortiumGovernance is GovernanceState, ICodeApprovals {
    /// GovernanceViews: answers every call this contract has no function for (see fallback).
    address internal constant GOVERNANCE_VIEWS = 0x0000000000000000000000000000000000001003;

    // ---------------------------------------------------------------- genesis

    /// minValidators comes first only because the legacy code generator runs out of stack decoding
    /// four struct arrays followed by a fifth argument.
    /// @param minValidators_ the validator count that no decision may go below (at least 1)
    /// @param parties founding parties (all active)
    /// @param nodes their nodes; `validator` nodes form the first validator set, in this order
    /// @param accounts permissioned accounts of the founding parties
    /// @param policies exactly one policy per decision type (0..18), in any order
    constructor(
        uint16 minValidators_,
        PartyInit[] memory parties,
        NodeInit[] memory nodes,
        AccountInit[] memory accounts,
        PolicyInit[] memory policies
    ) {
        if (minValidators_ < 1) revert MinValidatorsTooLow();
        minValidators = minValidators_;
        for (uint256 i = 0; i < parties.length; i++) {
            _addParty(parties[i].id, parties[i].name, parties[i].kind, parties[i].admins);
        }
        if (_votingPartyCount() == 0) revert NoFoundingVoter();
        for (uint256 i = 0; i < nodes.length; i++) {
            NodeInit memory n = nodes[i];
            _addNode(n.nodeAddress, n.partyId, n.endpoint, n.encryptionKey);
            // Founding validators validate from block 0 (no candidate step: the network starts with them).
            if (n.validator) _grantValidator(_nodes[n.nodeAddress]);
        }
        for (uint256 i = 0; i < accounts.length; i++) {
            _setAccountPermissions(accounts[i].account, accounts[i].partyId, accounts[i].permissions);
        }
        // Every decision type needs a policy from the start: a missing one would make that decision
        // impossible (or trivially easy), and the consortium file is where defaults are filled in.
        uint256 seen = 0;
        for (uint256 i = 0; i < policies.length; i++) {
            PolicyInit memory p = policies[i];
            if (p.decisionType >= DECISION_TYPES) revert UnknownDecisionType(p.decisionType);
            if (seen & (1 << p.decisionType) != 0) revert DuplicatePolicy(p.decisionType);
            seen |= 1 << p.decisionType;
            _setPolicy(p.decisionType, p.thresholdPercent, p.inclusive, p.votingPeriod, p.vetoParties);
        }
        if (seen != (1 << DECISION_TYPES) - 1) revert MissingPolicy();
        if (_activeValidatorCount() < minValidators_) revert TooFewFoundingValidators(minValidators_);
    }

    // ---------------------------------------------------------------- proposals and votes

    /// @notice Opens a proposal. Only an admin of an active member or regulator party may propose;
    /// proposing is not voting (the proposer's party votes like any other).
    /// @param kind the decision type (0..18)
    /// @param payload abi.encode of the decision's arguments (see the spec). The decision must apply
    /// to the current state (see preflight), else the proposal is refused with the action's reason.
    function propose(uint8 kind, bytes calldata payload, string calldata description) external returns (uint256 id) {
        bytes32 party = _voterParty(msg.sender);
        if (kind >= DECISION_TYPES) revert UnknownDecisionType(kind);
        // A party rotates only its own admin keys.
        if (kind == ROTATE_ADMINS && payload.length >= 32 && bytes32(payload[:32]) != party) revert NotOwnParty(party);
        try this.preflight(kind, payload) {} catch (bytes memory reason) {
            // A payload that does not decode reverts without data.
            if (reason.length == 0) revert PayloadMismatch(kind);
            if (bytes4(reason) != PreflightPassed.selector) _bubble(reason);
        }
        Policy storage policy = _policies[kind];
        id = ++proposalCount;
        Proposal storage p = _proposals[id];
        p.id = id;
        p.kind = kind;
        p.state = OPEN;
        p.proposerParty = party;
        p.createdAt = uint64(block.timestamp);
        p.deadline = uint64(block.timestamp) + policy.votingPeriod;
        p.thresholdPercent = policy.thresholdPercent;
        p.inclusive = policy.inclusive;
        p.vetoParties = policy.vetoParties;
        p.payload = payload;
        p.description = description;
        // The party to be frozen has no say in its own freeze.
        bytes32 excluded = kind == FREEZE_PARTY ? bytes32(payload[:32]) : bytes32(0);
        uint16 voters = 0;
        for (uint256 i = 0; i < _partyIds.length; i++) {
            bytes32 pid = _partyIds[i];
            if (pid != excluded && _isVotingParty(pid)) {
                _eligible[id][pid] = true;
                voters++;
            }
        }
        p.voters = voters;
        emit ProposalCreated(id, kind, party, p.deadline);
    }

    /// @notice Casts the vote of the caller's party. The vote that decides the proposal also
    /// executes it (yes reaching the threshold) or rejects it (a veto, or yes can no longer reach it).
    function vote(uint256 id, bool support) external {
        Proposal storage p = _openProposal(id);
        bytes32 party = _voterParty(msg.sender);
        if (!_eligible[id][party]) revert NotEligible(party);
        if (_votes[id][party] != NO_VOTE) revert AlreadyVoted(party);
        _votes[id][party] = support ? VOTE_YES : VOTE_NO;
        _tally(p);
        emit VoteCast(id, party, msg.sender, support);

        if (!support && _isVetoParty(p, party)) {
            _close(p, REJECTED);
        } else if (_meetsThreshold(p, p.yes)) {
            _execute(p);
        } else if (!_meetsThreshold(p, p.voters - p.no)) {
            // Even if every party that has not voted says yes, the threshold is out of reach.
            _close(p, REJECTED);
        }
    }

    /// @notice Marks a proposal whose voting period ended without a decision as Expired. Anyone may call it.
    function finalize(uint256 id) external {
        Proposal storage p = _proposal(id);
        if (p.state == EXPIRED) revert ProposalIsExpired(id);
        if (p.state != OPEN) revert ProposalDecided(id);
        if (block.timestamp <= p.deadline) revert VotingPeriodNotOver(id, p.deadline);
        _close(p, EXPIRED);
    }

    /// @notice Applies a decision. Only this contract calls it, for an approved proposal: running it as
    /// a call of its own lets a failing action revert alone while the deciding vote still counts.
    function executeDecision(uint8 kind, bytes calldata payload) external {
        if (msg.sender != address(this)) revert OnlyApprovedProposal();
        if (kind == ADD_PARTY) {
            (bytes32 id, string memory name, uint8 partyKind, address[] memory admins) =
                abi.decode(payload, (bytes32, string, uint8, address[]));
            _addParty(id, name, partyKind, admins);
        } else if (kind == SUSPEND_PARTY) {
            _suspendParty(abi.decode(payload, (bytes32)));
        } else if (kind == REINSTATE_PARTY) {
            _reinstateParty(abi.decode(payload, (bytes32)));
        } else if (kind == REMOVE_PARTY) {
            _removeParty(abi.decode(payload, (bytes32)));
        } else if (kind == ADD_NODE) {
            (address node, bytes32 partyId, string memory endpoint, bool validator, bytes32 encryptionKey) =
                abi.decode(payload, (address, bytes32, string, bool, bytes32));
            _addNode(node, partyId, endpoint, encryptionKey);
            if (validator) _makeCandidate(_nodes[node]);
        } else if (kind == REMOVE_NODE) {
            _removeNode(abi.decode(payload, (address)));
        } else if (kind == ADD_VALIDATOR) {
            _addValidator(abi.decode(payload, (address)));
        } else if (kind == REMOVE_VALIDATOR) {
            _removeValidatorRole(abi.decode(payload, (address)));
        } else if (kind == ROTATE_ADMINS) {
            (bytes32 id, address[] memory admins) = abi.decode(payload, (bytes32, address[]));
            _rotateAdmins(id, admins);
        } else if (kind == FREEZE_PARTY) {
            _freezeParty(abi.decode(payload, (bytes32)));
        } else if (kind == UNFREEZE_PARTY) {
            _unfreezeParty(abi.decode(payload, (bytes32)));
        } else if (kind == SET_MIN_VALIDATORS) {
            _setMinValidators(abi.decode(payload, (uint16)));
        } else if (kind == SET_CHAIN_PARAMETERS) {
            if (CHAIN_PARAMETERS.code.length == 0) revert NoChainParametersContract(CHAIN_PARAMETERS);
            IChainParameters(CHAIN_PARAMETERS).schedule(abi.decode(payload, (bytes)));
        } else if (kind == APPROVE_CODE) {
            _approveCode(abi.decode(payload, (bytes32)));
        } else if (kind == REVOKE_CODE) {
            _revokeCode(abi.decode(payload, (bytes32)));
        } else if (kind == UPGRADE_CONTRACT) {
            (address proxy, address implementation) = abi.decode(payload, (address, address));
            _upgradeContract(proxy, implementation);
        } else if (kind == CHANGE_POLICY) {
            (uint8 decisionType, uint8 threshold, bool inclusive, uint64 period, bytes32[] memory veto) =
                abi.decode(payload, (uint8, uint8, bool, uint64, bytes32[]));
            _setPolicy(decisionType, threshold, inclusive, period, veto);
        } else if (kind == SET_ACCOUNT_PERMISSIONS) {
            (address account, bytes32 partyId, uint8 permissions) = abi.decode(payload, (address, bytes32, uint8));
            _setAccountPermissions(account, partyId, permissions);
        } else if (kind == SET_COLLECTION) {
            (
                bytes32 id,
                bytes32 controller,
                uint64 retention,
                bytes32[] memory members,
                bytes32[] memory grantParties,
                bytes32[] memory grantPurposes,
                bytes32[] memory grantBases
            ) = abi.decode(payload, (bytes32, bytes32, uint64, bytes32[], bytes32[], bytes32[], bytes32[]));
            _setCollection(id, controller, retention, members, grantParties, grantPurposes, grantBases);
        } else {
            revert UnknownDecisionType(kind);
        }
    }

    /// @notice Runs decision `kind` against the current state and undoes it: it always reverts, with
    /// PreflightPassed() when the decision would apply, else with the decision's own error (no data
    /// when the payload does not decode). propose() calls it; an eth_call may too.
    function preflight(uint8 kind, bytes calldata payload) external {
        try this.executeDecision(kind, payload) {} catch (bytes memory reason) {
            _bubble(reason);
        }
        revert PreflightPassed();
    }

    /// @notice Makes the calling node, a validator candidate, an active validator. Only the node's own
    /// key can send it, so a node becomes a validator only once it runs (and it sends this only when
    /// synced and connected to the other validators).
    function activateValidator() external {
        Node storage n = _nodes[msg.sender];
        if (!n.candidate) revert NotCandidate(msg.sender);
        if (n.status != NODE_ACTIVE) revert NodeNotActive(msg.sender);
        if (_parties[n.partyId].status != PARTY_ACTIVE) revert PartyNotActive(n.partyId);
        n.candidate = false;
        _grantValidator(n);
    }

    // ---------------------------------------------------------------- views the nodes use

    /// Active validator nodes of active parties, in the order they became validators.
    function getValidators() external view returns (address[] memory validators) {
        validators = new address[](_activeValidatorCount());
        uint256 n = 0;
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_countsAsValidator(_validatorOrder[i])) validators[n++] = _validatorOrder[i];
        }
    }

    /// Whether a node may connect: the node is active and so is its party.
    function isNodeAllowed(address node) external view returns (bool) {
        Node storage n = _nodes[node];
        return n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE;
    }

    /// Effective permission bits (1 transact, 2 deploy, 4 call): all of them for an admin of an active
    /// party, the registered bits for an account of an active party, `call` for the key of an allowed
    /// node (it anchors private data; the anchors contract decides what it may anchor), and none
    /// otherwise.
    function permissionsOf(address account) external view returns (uint8) {
        bytes32 adminOf = _adminParty[account];
        if (adminOf != bytes32(0)) return _parties[adminOf].status == PARTY_ACTIVE ? ALL_PERMISSIONS : 0;
        Account storage a = _accounts[account];
        uint8 bits = 0;
        if (a.partyId != bytes32(0) && _parties[a.partyId].status == PARTY_ACTIVE) bits = a.permissions;
        if (nodePartyOf(account) != bytes32(0)) bits |= NODE_PERMISSIONS;
        return bits;
    }

    /// The party of an active node of an active party (zero for anything else).
    function nodePartyOf(address node) public view returns (bytes32) {
        Node storage n = _nodes[node];
        return n.status == NODE_ACTIVE && _parties[n.partyId].status == PARTY_ACTIVE ? n.partyId : bytes32(0);
    }

    function isCodeApproved(bytes32 runtimeCodeHash) external view returns (bool) {
        return _approvedCode[runtimeCodeHash];
    }

    // ---------------------------------------------------------------- the listings

    /// Any other call runs GovernanceViews' code on this contract's storage (its views: getParties,
    /// getNodes, getProposal, …), and returns or reverts as it does.
    fallback() external {
        address views = GOVERNANCE_VIEWS;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), views, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ---------------------------------------------------------------- voting internals

    function _openProposal(uint256 id) private view returns (Proposal storage p) {
        p = _proposal(id);
        // Past the deadline it is expired even before anyone calls finalize.
        if (p.state == EXPIRED || (p.state == OPEN && block.timestamp > p.deadline)) revert ProposalIsExpired(id);
        if (p.state != OPEN) revert ProposalDecided(id);
    }

    function _voterParty(address account) private view returns (bytes32 party) {
        party = _adminParty[account];
        if (party == bytes32(0) || !_isVotingParty(party)) revert NotVotingAdmin(account);
    }

    function _votingPartyCount() private view returns (uint256 count) {
        for (uint256 i = 0; i < _partyIds.length; i++) {
            if (_isVotingParty(_partyIds[i])) count++;
        }
    }

    function _isVetoParty(Proposal storage p, bytes32 party) private view returns (bool) {
        for (uint256 i = 0; i < p.vetoParties.length; i++) {
            if (p.vetoParties[i] == party) return true;
        }
        return false;
    }

    /// Recounts a proposal over its voter set as it stands now: a party suspended (or removed) since
    /// the proposal was created no longer counts toward the votes needed, nor does its vote.
    function _tally(Proposal storage p) private {
        uint16 voters = 0;
        uint16 yes = 0;
        uint16 no = 0;
        for (uint256 i = 0; i < _partyIds.length; i++) {
            bytes32 pid = _partyIds[i];
            if (!_eligible[p.id][pid] || !_isVotingParty(pid)) continue;
            voters++;
            uint8 v = _votes[p.id][pid];
            if (v == VOTE_YES) yes++;
            else if (v == VOTE_NO) no++;
        }
        p.voters = voters;
        p.yes = yes;
        p.no = no;
    }

    /// yes * 100 against threshold * voters, so that 50% of 3 parties needs 2 with > and with >=.
    function _meetsThreshold(Proposal storage p, uint256 yes) private view returns (bool) {
        uint256 have = yes * 100;
        uint256 need = uint256(p.thresholdPercent) * p.voters;
        return p.inclusive ? have >= need : have > need;
    }

    function _close(Proposal storage p, uint8 state) private {
        p.state = state;
        if (state == REJECTED) emit ProposalRejected(p.id);
        else if (state == EXPIRED) emit ProposalExpired(p.id);
    }

    function _execute(Proposal storage p) private {
        // Closed before the action runs: an upgrade calls out, and a re-entrant vote must find the
        // proposal decided.
        p.state = APPROVED;
        uint256 gasBefore = gasleft();
        try this.executeDecision(p.kind, p.payload) {
            emit ProposalApproved(p.id);
        } catch (bytes memory reason) {
            // A call that ran out of gas leaves this frame about 1/64 of what it had. Failing the
            // proposal then would let any voter sink a decision by sending too little gas, so the whole
            // vote reverts instead and can be sent again with more.
            if (gasleft() <= gasBefore / 63) revert DecisionOutOfGas();
            p.state = FAILED;
            emit ProposalFailed(p.id, reason);
        }
    }

    // ---------------------------------------------------------------- actions: parties

    function _addParty(bytes32 id, string memory name, uint8 kind, address[] memory admins) private {
        if (id == bytes32(0)) revert EmptyPartyId();
        if (_parties[id].status != PARTY_NONE) revert PartyIdUsed(id);
        if (kind > OBSERVER) revert BadPartyKind(kind);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) revert BadPartyName();
        if (_partyIds.length >= MAX_PARTIES) revert TooManyParties();
        _claimAdmins(id, admins);
        Party storage party = _parties[id];
        party.id = id;
        party.name = name;
        party.kind = kind;
        party.status = PARTY_ACTIVE;
        party.admins = admins;
        _partyIds.push(id);
        emit PartyAdded(id);
    }

    /// Makes `admins` the admin keys of party `id`: 1 to 16 keys, none an admin of another party or a
    /// registered account.
    function _claimAdmins(bytes32 id, address[] memory admins) private {
        if (admins.length == 0 || admins.length > MAX_ADMINS) revert BadAdminCount();
        for (uint256 i = 0; i < admins.length; i++) {
            address admin = admins[i];
            if (admin == address(0)) revert ZeroAddress();
            if (_adminParty[admin] != bytes32(0)) revert AdminOfAParty(admin);
            // An admin already has every permission; a second record under another party would make
            // its effective permissions depend on two parties' statuses.
            if (_accountParty(admin) != bytes32(0)) revert AccountOfAParty(admin);
            _adminParty[admin] = id;
        }
    }

    /// Replaces every admin key of an active party (a key may stay by being listed again).
    function _rotateAdmins(bytes32 id, address[] memory admins) private {
        Party storage party = _parties[id];
        if (party.status != PARTY_ACTIVE) revert PartyNotActive(id);
        for (uint256 i = 0; i < party.admins.length; i++) delete _adminParty[party.admins[i]];
        _claimAdmins(id, admins);
        party.admins = admins;
        emit AdminsRotated(id);
    }

    /// Emergency: an active party loses its vote, its permissions and its nodes until unfrozen.
    function _freezeParty(bytes32 id) private {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_FROZEN;
        emit PartyFrozen(id);
    }

    function _unfreezeParty(bytes32 id) private {
        if (_parties[id].status != PARTY_FROZEN) revert PartyNotFrozen(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyUnfrozen(id);
    }

    function _setMinValidators(uint16 count) private {
        if (count < 1 || count > _activeValidatorCount()) revert BadMinValidators(count, _activeValidatorCount());
        minValidators = count;
        emit MinValidatorsChanged(count);
    }

    function _suspendParty(bytes32 id) private {
        if (_parties[id].status != PARTY_ACTIVE) revert PartyNotActive(id);
        _requirePartyCanLeave(id);
        _parties[id].status = PARTY_SUSPENDED;
        emit PartySuspended(id);
    }

    function _reinstateParty(bytes32 id) private {
        if (_parties[id].status != PARTY_SUSPENDED) revert PartyNotSuspended(id);
        _parties[id].status = PARTY_ACTIVE;
        emit PartyReinstated(id);
    }

    function _removeParty(bytes32 id) private {
        Party storage party = _parties[id];
        if (!_isCurrent(party.status)) revert PartyNotCurrent(id);
        // A suspended or frozen party's validators already left the set; only an active party's count.
        if (party.status == PARTY_ACTIVE) _requirePartyCanLeave(id);
        for (uint256 i = 0; i < _nodeList.length; i++) {
            Node storage node = _nodes[_nodeList[i]];
            if (node.partyId == id && node.status == NODE_ACTIVE) _retireNode(node);
        }
        // Free the admin keys (the party's record keeps the list as history).
        for (uint256 i = 0; i < party.admins.length; i++) delete _adminParty[party.admins[i]];
        party.status = PARTY_REMOVED;
        emit PartyRemoved(id);
    }

    /// Suspending or removing an active party takes its validators out of the set and its vote out of
    /// governance: neither may leave the network without quorum or without anybody able to vote.
    function _requirePartyCanLeave(bytes32 id) private view {
        uint256 own = 0;
        for (uint256 i = 0; i < _validatorOrder.length; i++) {
            if (_nodes[_validatorOrder[i]].partyId == id && _countsAsValidator(_validatorOrder[i])) own++;
        }
        _requireValidatorsLeft(own);
        if (_parties[id].kind != OBSERVER) {
            if (_votingPartyCount() <= 1) revert NoVoterLeft();
        }
    }

    // ---------------------------------------------------------------- actions: nodes and validators

    function _addNode(address node, bytes32 partyId, string memory endpoint, bytes32 encryptionKey) private {
        if (node == address(0)) revert ZeroAddress();
        if (_parties[partyId].status != PARTY_ACTIVE) revert PartyNotActive(partyId);
        if (bytes(endpoint).length > MAX_ENDPOINT_BYTES) revert EndpointTooLong();
        Node storage n = _nodes[node];
        if (n.status == NODE_ACTIVE) revert NodeAlreadyActive(node);
        // A removed node key may come back (e.g. a party rejoins with the same machine).
        if (n.status == 0) {
            if (_nodeList.length >= MAX_NODES) revert TooManyNodes();
            _nodeList.push(node);
        }
        n.nodeAddress = node;
        n.partyId = partyId;
        n.endpoint = endpoint;
        n.validator = false;
        n.status = NODE_ACTIVE;
        n.encryptionKey = encryptionKey;
        n.candidate = false;
        emit NodeAdded(node, partyId);
    }

    function _removeNode(address node) private {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (_countsAsValidator(node)) _requireValidatorsLeft(1);
        _retireNode(n);
    }

    function _addValidator(address node) private {
        Node storage n = _nodes[node];
        if (n.status != NODE_ACTIVE) revert NodeNotActive(node);
        if (n.validator) revert AlreadyValidator(node);
        if (_parties[n.partyId].status != PARTY_ACTIVE) revert PartyNotActive(n.partyId);
        _makeCandidate(n);
    }

    function _makeCandidate(Node storage n) private {
        if (n.candidate) revert AlreadyCandidate(n.nodeAddress);
        n.candidate = true;
        emit ValidatorCandidate(n.nodeAddress);
    }

    function _removeValidatorRole(address node) private {
        Node storage n = _nodes[node];
        // A candidate's vote is withdrawn (it never validated).
        if (n.status == NODE_ACTIVE && n.candidate) {
            n.candidate = false;
            emit ValidatorCandidateWithdrawn(node);
            return;
        }
        if (n.status != NODE_ACTIVE || !n.validator) revert NotValidator(node);
        if (_countsAsValidator(node)) _requireValidatorsLeft(1);
        _dropValidator(n);
    }

    function _grantValidator(Node storage n) private {
        n.validator = true;
        _validatorOrder.push(n.nodeAddress);
        emit ValidatorAdded(n.nodeAddress);
    }

    function _dropValidator(Node storage n) private {
        n.validator = false;
        // Shift rather than swap-and-pop: the order is the validator order every node reports.
        uint256 last = _validatorOrder.length - 1;
        bool found = false;
        for (uint256 i = 0; i < last; i++) {
            if (!found && _validatorOrder[i] == n.nodeAddress) found = true;
            if (found) _validatorOrder[i] = _validatorOrder[i + 1];
        }
        _validatorOrder.pop();
        emit ValidatorRemoved(n.nodeAddress);
    }

    function _retireNode(Node storage n) private {
        if (n.validator) _dropValidator(n);
        n.candidate = false;
        n.status = NODE_REMOVED;
        emit NodeRemoved(n.nodeAddress, n.partyId);
    }

    function _requireValidatorsLeft(uint256 leaving) private view {
        if (_activeValidatorCount() - leaving < minValidators) revert TooFewValidators(minValidators);
    }

    // ---------------------------------------------------------------- actions: code, contracts, policy, accounts

    function _approveCode(bytes32 hash) private {
        if (hash == bytes32(0)) revert ZeroCodeHash();
        if (_approvedCode[hash]) revert CodeAlreadyApproved(hash);
        _approvedCode[hash] = true;
        emit CodeApproved(hash);
    }

    function _revokeCode(bytes32 hash) private {
        if (!_approvedCode[hash]) revert CodeNotApproved(hash);
        _approvedCode[hash] = false;
        emit CodeRevoked(hash);
    }

    function _upgradeContract(address proxy, address implementation) private {
        if (proxy.code.length == 0) revert NotAContract(proxy);
        if (implementation.code.length == 0) revert NotAContract(implementation);
        if (!_approvedCode[implementation.codehash]) revert CodeNotApproved(implementation.codehash);
        // The proxy accepts this only from its admin: a proxy governed by someone else makes it fail.
        IGovernedProxy(proxy).upgradeTo(implementation);
        emit ContractUpgraded(proxy, implementation);
    }

    function _setPolicy(uint8 decisionType, uint8 threshold, bool inclusive, uint64 period, bytes32[] memory veto) private {
        if (decisionType >= DECISION_TYPES) revert UnknownDecisionType(decisionType);
        if (threshold < 1 || threshold > 100) revert BadThreshold(threshold);
        if (!inclusive && threshold == 100) revert UnreachableThreshold();
        if (period < 1 || period > MAX_VOTING_PERIOD) revert BadVotingPeriod(period);
        if (veto.length > MAX_VETO_PARTIES) revert TooManyVetoParties();
        for (uint256 i = 0; i < veto.length; i++) {
            uint8 status = _parties[veto[i]].status;
            if (!_isCurrent(status)) revert VetoPartyNotCurrent(veto[i]);
        }
        Policy storage p = _policies[decisionType];
        p.thresholdPercent = threshold;
        p.inclusive = inclusive;
        p.votingPeriod = period;
        p.vetoParties = veto;
        emit PolicyChanged(decisionType);
    }

    function _setAccountPermissions(address account, bytes32 partyId, uint8 permissions) private {
        if (account == address(0)) revert ZeroAddress();
        uint8 status = _parties[partyId].status;
        if (!_isCurrent(status)) revert PartyNotCurrent(partyId);
        if (permissions > ALL_PERMISSIONS) revert BadPermissions(permissions);
        if (_adminParty[account] != bytes32(0)) revert AdminHasAllPermissions(account);
        if (_accounts[account].partyId == bytes32(0)) _accountList.push(account);
        _accounts[account] = Account(partyId, permissions);
        emit AccountPermissionsSet(account, partyId, permissions);
    }

    // ---------------------------------------------------------------- actions: private data collections

    /// Creates or replaces a collection. Members must be current parties; each grant names a member,
    /// a purpose and a legal basis (one of the GDPR Art. 6(1) bases); the controller must be a member.
    function _setCollection(
        bytes32 id,
        bytes32 controller,
        uint64 retention,
        bytes32[] memory members,
        bytes32[] memory grantParties,
        bytes32[] memory grantPurposes,
        bytes32[] memory grantBases
    ) private {
        if (id == bytes32(0)) revert EmptyCollectionId();
        if (retention < 1 || retention > MAX_RETENTION) revert BadRetention(retention);
        if (members.length == 0 || members.length > MAX_COLLECTION_MEMBERS) revert BadMemberCount();
        if (grantParties.length != grantPurposes.length || grantPurposes.length != grantBases.length) revert GrantShape();
        if (grantParties.length > MAX_COLLECTION_GRANTS) revert TooManyGrants();
        bool controllerIsMember = false;
        for (uint256 i = 0; i < members.length; i++) {
            if (_parties[members[i]].status != PARTY_ACTIVE) revert MemberNotActive(members[i]);
            for (uint256 j = 0; j < i; j++) if (members[j] == members[i]) revert DuplicateMember(members[i]);
            if (members[i] == controller) controllerIsMember = true;
        }
        if (!controllerIsMember) revert ControllerNotMember(controller);
        for (uint256 i = 0; i < grantParties.length; i++) {
            if (grantPurposes[i] == bytes32(0) || grantBases[i] == bytes32(0)) revert EmptyPurposeOrBasis();
            if (!_isLegalBasis(grantBases[i])) revert NotALegalBasis(grantBases[i]);
            bool member = false;
            for (uint256 j = 0; j < members.length; j++) if (members[j] == grantParties[i]) member = true;
            if (!member) revert GrantToNonMember(grantParties[i]);
        }
        Collection storage c = _collections[id];
        if (c.id == bytes32(0)) {
            if (_collectionIds.length >= MAX_COLLECTIONS) revert TooManyCollections();
            _collectionIds.push(id);
            c.id = id;
        }
        c.controller = controller;
        c.retentionSeconds = retention;
        c.members = members;
        c.grantParties = grantParties;
        c.grantPurposes = grantPurposes;
        c.grantBases = grantBases;
        emit CollectionSet(id);
    }

    /// The GDPR Art. 6(1) bases, as LEGAL_BASES in src/governance/decisions.ts (a unit test holds
    /// the two lists equal): a vote cannot record a basis the documentation does not name.
    function _isLegalBasis(bytes32 b) private pure returns (bool) {
        return b == bytes32("consent") || b == bytes32("contract") || b == bytes32("legal-obligation") || b == bytes32("vital-interests")
            || b == bytes32("public-task") || b == bytes32("legitimate-interests");
    }

}
