// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";

/// @title Kontor security token
/// @notice One product's register of crypto-securities. Units are whole (no decimals), only
/// wallets the registrar has registered may receive units or pass them on by themselves, and every
/// change the registrar makes carries an operation id that the contract accepts at most once, so a
/// retried or re-broadcast credit can never issue twice (Kontor's invariant 3).
/// @dev ERC20Pausable refuses every balance change while paused (its `_update` hook): ordinary
/// transfers, mints, burns and forced transfers alike.
contract KontorSecurityToken is ERC20Pausable, AccessControl {
    /// @notice Keeps the register: registers wallets, mints, burns, forces transfers, pauses.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Wallets allowed to receive units (by mint, transfer or forced transfer) and to send
    /// them by an ordinary transfer.
    mapping(address wallet => bool) public isRegistered;

    /// @notice Operation ids already used; an id is spent for good, whatever the operation was.
    mapping(bytes32 operationId => bool) public operationUsed;

    event WalletRegistered(address indexed wallet);
    event WalletUnregistered(address indexed wallet);
    event Minted(bytes32 indexed operationId, address indexed to, uint256 amount);
    event Burned(bytes32 indexed operationId, address indexed from, uint256 amount);
    event ForcedTransfer(bytes32 indexed operationId, address indexed from, address indexed to, uint256 amount);

    error WalletNotRegistered(address wallet);
    error OperationAlreadyUsed(bytes32 operationId);
    error LengthMismatch();

    constructor(string memory name_, string memory symbol_, address registrar) ERC20(name_, symbol_) {
        _grantRole(DEFAULT_ADMIN_ROLE, registrar);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /// @notice Units are whole securities: one unit is one token.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    function pause() external onlyRole(REGISTRAR_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(REGISTRAR_ROLE) {
        _unpause();
    }

    /// @notice Registers wallets; one already registered is skipped without an event, so that a
    /// retried registration changes nothing.
    function registerWallets(address[] calldata wallets) external onlyRole(REGISTRAR_ROLE) {
        for (uint256 i = 0; i < wallets.length; ++i) {
            address wallet = wallets[i];
            if (!isRegistered[wallet]) {
                isRegistered[wallet] = true;
                emit WalletRegistered(wallet);
            }
        }
    }

    /// @notice Unregisters a wallet. Its units stay where they are: they can then leave it only by
    /// a burn or a forced transfer.
    function unregisterWallet(address wallet) external onlyRole(REGISTRAR_ROLE) {
        if (isRegistered[wallet]) {
            isRegistered[wallet] = false;
            emit WalletUnregistered(wallet);
        }
    }

    function mint(address to, uint256 amount, bytes32 operationId) external onlyRole(REGISTRAR_ROLE) {
        _mintOnce(to, amount, operationId);
    }

    /// @notice Mints to many wallets in one transaction; each element is its own operation. Any
    /// used id or unregistered recipient reverts the whole batch, so a batch is all or nothing.
    function batchMint(address[] calldata to, uint256[] calldata amounts, bytes32[] calldata operationIds)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (to.length != amounts.length || to.length != operationIds.length) revert LengthMismatch();
        for (uint256 i = 0; i < to.length; ++i) {
            _mintOnce(to[i], amounts[i], operationIds[i]);
        }
    }

    /// @notice Burns units of any holder, registered or not (cancellation, redemption).
    function burn(address from, uint256 amount, bytes32 operationId) external onlyRole(REGISTRAR_ROLE) {
        _useOperation(operationId);
        _burn(from, amount);
        emit Burned(operationId, from, amount);
    }

    /// @notice Moves units without the holder's signature (e.g. a transfer booked by the registrar,
    /// or units recovered from a wallet that was unregistered); the receiver must be registered.
    function forcedTransfer(address from, address to, uint256 amount, bytes32 operationId)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _useOperation(operationId);
        _requireRegistered(to);
        _transfer(from, to, amount);
        emit ForcedTransfer(operationId, from, to, amount);
    }

    /// @notice An ordinary transfer: both wallets must be registered.
    function transfer(address to, uint256 value) public override returns (bool) {
        _requireRegistered(_msgSender());
        _requireRegistered(to);
        return super.transfer(to, value);
    }

    /// @notice An ordinary transfer by an approved spender: both wallets must be registered (the
    /// spender itself need not be).
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _requireRegistered(from);
        _requireRegistered(to);
        return super.transferFrom(from, to, value);
    }

    function _mintOnce(address to, uint256 amount, bytes32 operationId) private {
        _useOperation(operationId);
        _requireRegistered(to);
        _mint(to, amount);
        emit Minted(operationId, to, amount);
    }

    function _useOperation(bytes32 operationId) private {
        if (operationUsed[operationId]) revert OperationAlreadyUsed(operationId);
        operationUsed[operationId] = true;
    }

    function _requireRegistered(address wallet) private view {
        if (!isRegistered[wallet]) revert WalletNotRegistered(wallet);
    }
}
