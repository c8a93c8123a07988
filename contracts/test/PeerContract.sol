// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Coordinator} from "../Coordinator.sol";

/**
 * @title PeerContract
 * @notice Test-only peer that is a contract, to exercise payouts to accounts that refuse payment
 * ({PeerRegistry-PeerRegistryTransferFailed}). Never deployed outside tests.
 */
contract PeerContract {
    Coordinator private immutable _coordinator;
    bool private _acceptPayments;
    bool private _reenterWithdraw;

    /// @param coordinator The coordinator this peer talks to.
    constructor(Coordinator coordinator) {
        _coordinator = coordinator;
        _acceptPayments = true;
    }

    /// @notice Turns payment acceptance on or off.
    function setAcceptPayments(bool accept) external {
        _acceptPayments = accept;
    }

    /// @notice When on, the next payment received calls {withdraw} again (a re-entrancy attempt).
    function setReenterWithdraw(bool reenter) external {
        _reenterWithdraw = reenter;
    }

    /// @notice Registers with `msg.value` as stake.
    function register() external payable {
        _coordinator.register{value: msg.value}();
    }

    /// @notice Commits for `round`.
    function commit(uint256 round, bytes32 updateHash, bytes32 storageKey) external {
        _coordinator.commit(round, updateHash, storageKey);
    }

    /// @notice Starts unbonding.
    function deregister() external {
        _coordinator.deregister();
    }

    /// @notice Withdraws the stake after unbonding.
    function withdraw() external {
        _coordinator.withdraw();
    }

    /// @notice Claims rewards of `uid`.
    function claimRewards(uint32 uid) external {
        _coordinator.claimRewards(uid);
    }

    /// @notice Accepts payments only while allowed; optionally re-enters {withdraw} once.
    receive() external payable {
        require(_acceptPayments, "PeerContract: payments refused");
        if (_reenterWithdraw) {
            _reenterWithdraw = false;
            _coordinator.withdraw();
        }
    }
}
