// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./PensionRoles.sol";

/// Contributions: the employer reports what it paid per participant and period (yyyymm) to a fund;
/// that fund acknowledges or disputes it; either side may dispute, and the employer may correct a
/// disputed report. The salary behind it stays in private data.
contract Contributions is PensionRoles {
    error UnknownContribution(uint256 id);
    error AlreadyReported(bytes32 participant, uint32 period, address fund);
    error WrongStatus(uint256 id, Status status);
    error NotParty(uint256 id, address account);
    error InvalidPeriod(uint32 period);
    error ZeroAmount();

    enum Status { None, Reported, Acknowledged, Disputed }

    struct Contribution {
        bytes32 participant;
        uint32 period;
        address employer;
        address fund;
        uint128 amountCents;
        Status status;
        bytes32 disputeReason;
        uint64 reportedAt;
    }

    Contribution[] private list;
    mapping(bytes32 => uint256) private byKey; // keccak(participant, period, fund) => id + 1

    event ContributionReported(uint256 indexed id, bytes32 indexed participant, address indexed fund, uint32 period, uint128 amountCents);
    event ContributionAcknowledged(uint256 indexed id, address indexed fund);
    event ContributionDisputed(uint256 indexed id, address indexed by, bytes32 reason);
    event ContributionCorrected(uint256 indexed id, uint128 amountCents);

    constructor(address[] memory funds_, address[] memory employers_) PensionRoles(funds_, employers_) {}

    function report(bytes32 participant, uint32 period, address fund, uint128 amountCents) external onlyEmployer returns (uint256 id) {
        if (period % 100 == 0 || period % 100 > 12 || period < 190001) revert InvalidPeriod(period);
        if (amountCents == 0) revert ZeroAmount();
        if (!isFund[fund]) revert NotFund(fund);
        bytes32 k = keccak256(abi.encode(participant, period, fund));
        if (byKey[k] != 0) revert AlreadyReported(participant, period, fund);
        id = list.length;
        list.push(Contribution(participant, period, msg.sender, fund, amountCents, Status.Reported, bytes32(0), uint64(block.timestamp)));
        byKey[k] = id + 1;
        emit ContributionReported(id, participant, fund, period, amountCents);
    }

    function acknowledge(uint256 id) external {
        Contribution storage c = _get(id);
        if (msg.sender != c.fund) revert NotParty(id, msg.sender);
        if (c.status != Status.Reported) revert WrongStatus(id, c.status);
        c.status = Status.Acknowledged;
        emit ContributionAcknowledged(id, msg.sender);
    }

    /// The fund or the employer of a contribution disputes it (a reason code or the hash of a note kept off chain).
    function dispute(uint256 id, bytes32 reason) external {
        Contribution storage c = _get(id);
        if (msg.sender != c.fund && msg.sender != c.employer) revert NotParty(id, msg.sender);
        if (c.status == Status.Disputed) revert WrongStatus(id, c.status);
        c.status = Status.Disputed;
        c.disputeReason = reason;
        emit ContributionDisputed(id, msg.sender, reason);
    }

    /// The employer corrects a disputed contribution; it is reported again, for the fund to acknowledge.
    function correct(uint256 id, uint128 amountCents) external {
        Contribution storage c = _get(id);
        if (msg.sender != c.employer) revert NotParty(id, msg.sender);
        if (c.status != Status.Disputed) revert WrongStatus(id, c.status);
        if (amountCents == 0) revert ZeroAmount();
        c.amountCents = amountCents;
        c.status = Status.Reported;
        emit ContributionCorrected(id, amountCents);
    }

    function get(uint256 id) external view returns (Contribution memory) {
        return _get(id);
    }

    function count() external view returns (uint256) {
        return list.length;
    }

    function _get(uint256 id) private view returns (Contribution storage) {
        if (id >= list.length) revert UnknownContribution(id);
        return list[id];
    }
}
