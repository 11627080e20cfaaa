// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Who may do what in the pension contracts: the accounts of the pension funds, the employers and
/// the regulator, fixed at deployment (each contract's code is approved by a consortium vote; the
/// parties' accounts are its constructor arguments). No personal data: only party accounts.
abstract contract PensionRoles {
    error NotFund(address account);
    error NotEmployer(address account);

    mapping(address => bool) public isFund;
    mapping(address => bool) public isEmployer;
    address[] private fundList;

    constructor(address[] memory funds, address[] memory employers) {
        for (uint256 i = 0; i < funds.length; i++) {
            isFund[funds[i]] = true;
            fundList.push(funds[i]);
        }
        for (uint256 i = 0; i < employers.length; i++) isEmployer[employers[i]] = true;
    }

    function funds() external view returns (address[] memory) {
        return fundList;
    }

    modifier onlyFund() {
        if (!isFund[msg.sender]) revert NotFund(msg.sender);
        _;
    }

    modifier onlyEmployer() {
        if (!isEmployer[msg.sender]) revert NotEmployer(msg.sender);
        _;
    }
}
