// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./PensionRoles.sol";

/// Yearly entitlement statements: the fund publishes the keccak256 of the statement document per
/// participant and year; the document itself is private data. The participant verifies a document
/// by recomputing its hash and comparing it with the one published here.
contract Statements is PensionRoles {
    error AlreadyPublished(bytes32 participant, address fund, uint16 year);
    error EmptyHash();

    struct Statement {
        bytes32 documentHash;
        uint64 publishedAt;
    }

    mapping(bytes32 => mapping(address => mapping(uint16 => Statement))) private statements;

    event StatementPublished(bytes32 indexed participant, address indexed fund, uint16 year, bytes32 documentHash);

    constructor(address[] memory funds_, address[] memory employers_) PensionRoles(funds_, employers_) {}

    function publish(bytes32 participant, uint16 year, bytes32 documentHash) external onlyFund {
        if (documentHash == bytes32(0)) revert EmptyHash();
        Statement storage s = statements[participant][msg.sender][year];
        if (s.publishedAt != 0) revert AlreadyPublished(participant, msg.sender, year);
        statements[participant][msg.sender][year] = Statement(documentHash, uint64(block.timestamp));
        emit StatementPublished(participant, msg.sender, year, documentHash);
    }

    function statementOf(bytes32 participant, address fund, uint16 year) external view returns (Statement memory) {
        return statements[participant][fund][year];
    }

    /// True when `documentHash` is the hash the fund published for that participant and year.
    function verify(bytes32 participant, address fund, uint16 year, bytes32 documentHash) external view returns (bool) {
        Statement storage s = statements[participant][fund][year];
        return s.publishedAt != 0 && s.documentHash == documentHash;
    }
}
