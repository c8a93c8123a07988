// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title Roles
 * @notice Owner and validator roles of the coordinator. The owner only manages the validator set
 * and its own succession: it cannot move stake, rewards or results, so a peer's funds never depend
 * on the owner's goodwill. Validators slash peers and post round results.
 * @dev Deliberately smaller than OpenZeppelin's AccessControl: two fixed roles, no role admin
 * graph, so the off-chain TypeScript model of the contracts stays a few lines long.
 */
abstract contract Roles {
    address private _owner;
    mapping(address account => bool) private _validators;

    /// @notice The caller is not the owner.
    /// @param account The caller.
    error RolesUnauthorizedOwner(address account);

    /// @notice The caller is not a validator.
    /// @param account The caller.
    error RolesUnauthorizedValidator(address account);

    /// @notice The zero address cannot hold a role.
    /// @param account The rejected address (always zero).
    error RolesInvalidAccount(address account);

    /// @notice The account is already a validator.
    /// @param account The account.
    error RolesValidatorAlreadyAdded(address account);

    /// @notice The account is not a validator.
    /// @param account The account.
    error RolesValidatorNotFound(address account);

    /// @notice Ownership moved from `previousOwner` to `newOwner` (previousOwner is zero at deploy).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice `account` became a validator.
    event ValidatorAdded(address indexed account);

    /// @notice `account` stopped being a validator.
    event ValidatorRemoved(address indexed account);

    /// @dev Reverts with {RolesUnauthorizedOwner} unless the caller is the owner.
    modifier onlyOwner() {
        if (msg.sender != _owner) revert RolesUnauthorizedOwner(msg.sender);
        _;
    }

    /// @dev Reverts with {RolesUnauthorizedValidator} unless the caller is a validator.
    modifier onlyValidator() {
        if (!_validators[msg.sender]) revert RolesUnauthorizedValidator(msg.sender);
        _;
    }

    /// @param initialOwner The first owner (the deployer, in {Coordinator}).
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert RolesInvalidAccount(initialOwner);
        _owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @notice The current owner.
    function owner() external view returns (address) {
        return _owner;
    }

    /// @notice Whether `account` holds the validator role.
    function isValidator(address account) external view returns (bool) {
        return _validators[account];
    }

    /**
     * @notice Hands ownership to `newOwner` in one step.
     * @dev One step rather than OpenZeppelin's two-step handover: the owner's powers are limited to
     * the validator set, so a mistyped address loses no funds.
     * @param newOwner The next owner; not the zero address.
     */
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert RolesInvalidAccount(newOwner);
        address previous = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previous, newOwner);
    }

    /**
     * @notice Grants the validator role to `account`.
     * @param account The new validator; not the zero address, not already a validator.
     */
    function addValidator(address account) external onlyOwner {
        if (account == address(0)) revert RolesInvalidAccount(account);
        if (_validators[account]) revert RolesValidatorAlreadyAdded(account);
        _validators[account] = true;
        emit ValidatorAdded(account);
    }

    /**
     * @notice Revokes the validator role from `account`.
     * @param account A current validator.
     */
    function removeValidator(address account) external onlyOwner {
        if (!_validators[account]) revert RolesValidatorNotFound(account);
        _validators[account] = false;
        emit ValidatorRemoved(account);
    }
}
