// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PeerRegistry} from "./PeerRegistry.sol";
import {Roles} from "./Roles.sol";
import {RoundCommitments} from "./RoundCommitments.sol";
import {ValidationResults} from "./ValidationResults.sol";

/**
 * @title Coordinator
 * @notice The one contract a SparseLoCo run deploys: peer registry with stake and slashing
 * ({PeerRegistry}), per-round update commitments ({RoundCommitments}) and validator results with
 * rewards ({ValidationResults}), under the owner / validator roles of {Roles}. One address and one
 * event stream for the off-chain client, whose TypeScript model mirrors this contract.
 * @dev The deployer becomes the owner. All parameters are fixed at deploy.
 */
contract Coordinator is ValidationResults {
    /// @notice Deploy-time parameters.
    struct Config {
        uint256 minStake; // wei per identity, > 0
        uint64 unbondingBlocks; // blocks between deregister and withdraw
        uint256 roundLength; // blocks per round, > 0
        uint32 maxSelected; // G, > 0
        uint256 rewardPerRound; // wei per finalised round while the pool lasts
    }

    /// @param config See {Config}; each module validates its own fields.
    constructor(Config memory config)
        Roles(msg.sender)
        PeerRegistry(config.minStake, config.unbondingBlocks)
        RoundCommitments(config.roundLength)
        ValidationResults(config.maxSelected, config.rewardPerRound)
    {}
}
