// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IPriorityRegistry} from "./IPriorityRegistry.sol";

/**
 * @title PriorityRegistry
 * @notice Enforces authority and integrity (docs/design.md#p5-only-an-office-writes-for-itself): which key may write for which office,
 * nothing is overwritten, history is kept, a revealed number matches its commitment, and no office
 * can hurt another (property 9): every record, batch, version and report is keyed by the office
 * that wrote it. Domain rules (number formats, priority periods, families) live off chain.
 *
 * Governance (docs/spec/governance.md#building-blocks) is a small proposal queue written here by hand, because no OpenZeppelin
 * piece counts what it needs: `TimelockController` and `AccessManager` give the delay, but their
 * cancellation is one role (a guardian), not a majority of the offices of this contract's own
 * directory that were active when the proposal was made, the target office excluded; and a key
 * rotation needs the target office's EIP-712 consent or such a majority before it may run. The
 * pieces that exist are used: `AccessControl` for the registrar role, `EIP712`/`ECDSA`/`Nonces`
 * for the consent signature, `MerkleProof` for batched entries.
 */
contract PriorityRegistry is IPriorityRegistry, AccessControl, EIP712, Nonces {
    /// @notice The role that proposes admissions, suspensions, reinstatements and key rotations.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Domain separation of commitments (docs/spec/commitments.md#commitments).
    bytes32 public constant COMMITMENT_TAG = keccak256("prioreg.commitment.v1");
    /// @notice Domain separation of claim tokens (docs/spec/entries.md#claim-tokens-and-confirmed-links).
    bytes32 public constant CLAIM_TAG = keccak256("prioreg.claim.v1");
    /// @notice Domain separation of bound document digests (docs/spec/entries.md#document-digests-and-reports).
    bytes32 public constant DOCUMENT_TAG = keccak256("prioreg.document.v1");
    /// @notice Domain separation of bound report digests (docs/spec/entries.md#document-digests-and-reports).
    bytes32 public constant REPORT_TAG = keccak256("prioreg.report.v1");

    bytes32 private constant _PRIORITY_CLAIM_TYPEHASH = keccak256(
        "PriorityClaim(bytes2 earlierOffice,bytes32 earlierCommitment,uint32 claimedFilingDate,bytes16 claimToken)"
    );
    bytes32 private constant _ANCHOR_FILING_TYPEHASH = keccak256(
        "AnchorFiling(bytes2 office,bytes32 commitment,uint8 ipRightKind,uint32 filingDate,bytes32 documentDigest,PriorityClaim[] priorityClaims,uint256 nonce,uint256 deadline)PriorityClaim(bytes2 earlierOffice,bytes32 earlierCommitment,uint32 claimedFilingDate,bytes16 claimToken)"
    );
    bytes32 private constant _ANCHOR_BATCH_TYPEHASH = keccak256(
        "AnchorBatch(bytes2 office,bytes32 root,uint32 count,bytes32 entriesHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _ROTATE_TYPEHASH =
        keccak256("RotateOfficeKey(bytes2 office,address newSigner,uint256 nonce,uint256 deadline)");
    bytes32 private constant _PRIORITY_DOCUMENT_TYPEHASH =
        keccak256("PriorityDocument(bytes2 office,bytes32 commitment,bytes32 manifestSha256,uint32 version)");
    bytes32 private constant _REPORT_REQUEST_TYPEHASH = keccak256(
        "ReportRequest(bytes2 office,bytes32 reportId,bytes32 throughCommitment,bytes32 nonce,uint64 expiry)"
    );
    bytes32 private constant _PRIORITY_DOCUMENT_REQUEST_TYPEHASH = keccak256(
        "PriorityDocumentRequest(bytes2 office,bytes32 commitment,uint32 version,bytes32 accessSecretHash,bytes32 nonce,uint64 expiry)"
    );

    bytes2 private constant _WO = "WO";
    uint256 private constant _ENTRY_HEAD = 38;
    uint8 private constant _CLAIMS_MASK = 0x7f;
    uint8 private constant _VOTED_CANCEL = 1;
    uint8 private constant _VOTED_APPROVE = 2;

    /// @dev What changes after anchoring, per place of anchoring: amendments and publication.
    struct EntryState {
        uint32 amendments;
        bool published;
    }

    uint48 private immutable _delay;
    uint256 private _activeOffices;
    uint256 private _proposalCount;

    mapping(bytes2 office => Office) private _offices;
    mapping(bytes2 office => string) private _endpoints;
    mapping(address signer => bytes2 office) private _officeOfSigner;
    mapping(bytes2 office => mapping(bytes32 commitment => Record)) private _records;
    mapping(bytes2 office => mapping(bytes32 root => Batch)) private _batches;
    mapping(bytes2 office => mapping(bytes32 batchRoot => mapping(bytes32 commitment => EntryState))) private
        _states;
    mapping(bytes2 office => mapping(bytes32 reportDigest => bool)) private _reports;
    mapping(uint256 id => Proposal) private _proposals;
    mapping(uint256 id => mapping(bytes2 office => uint8)) private _votes;

    /// @param registrar the key that proposes directory changes (docs/spec/governance.md#delay-and-cancellation)
    /// @param delay seconds a proposal waits before it may run (0 in the demo and the tests)
    constructor(address registrar, uint48 delay) EIP712("PriorityRegistry", "2") {
        _grantRole(DEFAULT_ADMIN_ROLE, registrar);
        _grantRole(REGISTRAR_ROLE, registrar);
        _delay = delay;
    }

    // ─── governance ──────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function admitOffice(bytes2 office, address signer) external onlyRole(REGISTRAR_ROLE) returns (uint256) {
        _checkAdmit(office, signer);
        return _propose(Action.Admit, office, signer, true);
    }

    /// @inheritdoc IPriorityRegistry
    function suspendOffice(bytes2 office) external onlyRole(REGISTRAR_ROLE) returns (uint256) {
        _checkSuspend(office);
        return _propose(Action.Suspend, office, address(0), true);
    }

    /// @inheritdoc IPriorityRegistry
    function reinstateOffice(bytes2 office) external onlyRole(REGISTRAR_ROLE) returns (uint256) {
        _checkReinstate(office);
        return _propose(Action.Reinstate, office, address(0), true);
    }

    /// @inheritdoc IPriorityRegistry
    function rotateOfficeKey(bytes2 office, address newSigner) external returns (uint256) {
        Office storage entry = _admitted(office);
        if (entry.active && msg.sender == entry.signer) {
            // An office acting on itself acts at once (docs/spec/governance.md#delay-and-cancellation).
            _requireFreeSigner(newSigner);
            _rotate(office, newSigner);
            return 0;
        }
        _checkRole(REGISTRAR_ROLE);
        _requireFreeSigner(newSigner);
        return _propose(Action.RotateKey, office, newSigner, false);
    }

    /// @inheritdoc IPriorityRegistry
    function rotateOfficeKeyWithConsent(bytes2 office, address newSigner, uint256 deadline, bytes calldata signature)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256)
    {
        _admitted(office);
        _requireFreeSigner(newSigner);
        bytes32 digest = hashRotateOfficeKey(office, newSigner, nonces(_nonceKey(office)), deadline);
        _checkSignature(office, digest, deadline, signature);
        _useNonce(_nonceKey(office));
        return _propose(Action.RotateKey, office, newSigner, true);
    }

    /// @inheritdoc IPriorityRegistry
    function executeProposal(uint256 id) external onlyRole(REGISTRAR_ROLE) {
        Proposal storage p = _pending(id);
        if (block.timestamp < p.eta || !p.consented) revert PriorityRegistryProposalNotReady(id, p.eta);
        _execute(id, p);
    }

    /// @inheritdoc IPriorityRegistry
    function cancelProposal(uint256 id) external {
        Proposal storage p = _pending(id);
        if (hasRole(REGISTRAR_ROLE, msg.sender)) {
            p.state = ProposalState.Cancelled;
            emit ProposalCancelled(id);
            return;
        }
        bytes2 voter = _vote(id, p, _VOTED_CANCEL);
        p.cancelVotes += 1;
        emit ProposalVoted(id, voter, true);
        if (uint256(p.cancelVotes) * 2 > p.electorate) {
            p.state = ProposalState.Cancelled;
            emit ProposalCancelled(id);
        }
    }

    /// @inheritdoc IPriorityRegistry
    function approveProposal(uint256 id) external {
        Proposal storage p = _pending(id);
        if (p.action != Action.RotateKey || p.consented) revert PriorityRegistryInvalidVote(id, bytes2(0));
        bytes2 voter = _vote(id, p, _VOTED_APPROVE);
        p.approveVotes += 1;
        emit ProposalVoted(id, voter, false);
        if (uint256(p.approveVotes) * 2 > p.electorate) {
            p.consented = true;
            emit ProposalConsented(id);
            if (block.timestamp >= p.eta) _execute(id, p);
        }
    }

    /// @inheritdoc IPriorityRegistry
    function governanceDelay() external view returns (uint48) {
        return _delay;
    }

    /// @inheritdoc IPriorityRegistry
    function getProposal(uint256 id) external view returns (Proposal memory) {
        return _proposals[id];
    }

    /// @inheritdoc IPriorityRegistry
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IPriorityRegistry
    function activeOfficeCount() external view returns (uint256) {
        return _activeOffices;
    }

    // ─── an office acting on itself ──────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function setGatewayEndpoint(string calldata endpoint) external {
        bytes2 office = _senderOffice();
        _endpoints[office] = endpoint;
        emit OfficeEndpointSet(office, endpoint);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorFiling(Filing calldata filing) external {
        _anchorFiling(_senderOffice(), filing);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorFilingBySig(bytes2 office, Filing calldata filing, uint256 deadline, bytes calldata signature)
        external
    {
        bytes32 digest = hashAnchorFiling(office, filing, nonces(_nonceKey(office)), deadline);
        _useSignature(office, digest, deadline, signature);
        _anchorFiling(office, filing);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorBatch(bytes32 root, uint32 count, bytes calldata entries) external {
        _anchorBatch(_senderOffice(), root, count, entries);
    }

    /// @inheritdoc IPriorityRegistry
    function anchorBatchBySig(
        bytes2 office,
        bytes32 root,
        uint32 count,
        bytes calldata entries,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 digest = hashAnchorBatch(office, root, count, keccak256(entries), nonces(_nonceKey(office)), deadline);
        _useSignature(office, digest, deadline, signature);
        _anchorBatch(office, root, count, entries);
    }

    /// @inheritdoc IPriorityRegistry
    function amendFiling(bytes32 commitment, uint32 filingDate, bytes32 documentDigest, Inclusion calldata inclusion)
        external
    {
        bytes2 office = _requireOwner(commitment, inclusion);
        _requireDate(filingDate);
        uint32 version = _nextVersion(office, inclusion.batchRoot, commitment);
        emit FilingAmended(office, commitment, inclusion.batchRoot, version, filingDate, documentDigest);
    }

    /// @inheritdoc IPriorityRegistry
    function addPriorityClaim(bytes32 commitment, PriorityClaim calldata claim, Inclusion calldata inclusion)
        external
    {
        bytes2 office = _requireOwner(commitment, inclusion);
        _requireClaim(commitment, claim);
        uint32 version = _nextVersion(office, inclusion.batchRoot, commitment);
        emit PriorityClaimAdded(
            office,
            commitment,
            claim.earlierCommitment,
            claim.earlierOffice,
            inclusion.batchRoot,
            claim.claimedFilingDate,
            claim.claimToken,
            version
        );
    }

    /// @inheritdoc IPriorityRegistry
    function withdrawPriorityClaim(
        bytes32 commitment,
        bytes2 earlierOffice,
        bytes32 earlierCommitment,
        Inclusion calldata inclusion
    ) external {
        bytes2 office = _requireOwner(commitment, inclusion);
        uint32 version = _nextVersion(office, inclusion.batchRoot, commitment);
        emit PriorityClaimWithdrawn(office, commitment, earlierCommitment, earlierOffice, inclusion.batchRoot, version);
    }

    /// @inheritdoc IPriorityRegistry
    function confirmPriorityClaims(Confirmation[] calldata links) external {
        bytes2 office = _senderOffice();
        uint256 n = links.length;
        for (uint256 i = 0; i < n; ++i) {
            Confirmation calldata link = links[i];
            emit PriorityClaimConfirmed(office, link.earlierCommitment, link.laterCommitment, link.laterOffice);
        }
    }

    /// @inheritdoc IPriorityRegistry
    function anchorReport(
        bytes32 commitment,
        bytes32 reportDigest,
        uint8 kind,
        uint32 issued,
        Inclusion calldata inclusion
    ) external {
        bytes2 office = _requireOwner(commitment, inclusion);
        if (kind == 0 || kind > 5) revert PriorityRegistryInvalidReportKind(kind);
        _requireDate(issued);
        if (_reports[office][reportDigest]) revert PriorityRegistryReportAlreadyAnchored(office, reportDigest);
        _reports[office][reportDigest] = true;
        emit ReportAnchored(office, commitment, reportDigest, kind, issued);
    }

    /// @inheritdoc IPriorityRegistry
    function publishFiling(
        bytes2 numberOffice,
        string calldata canonicalNumber,
        string calldata accessSecret,
        Inclusion calldata inclusion
    ) external returns (bytes32 commitment) {
        commitment = computeCommitment(numberOffice, canonicalNumber, accessSecret);
        bytes2 office = _requireOwner(commitment, inclusion);
        // A PCT application (office WO) may be anchored by its receiving office (docs/spec/commitments.md#whose-record-counts).
        if (numberOffice != office && numberOffice != _WO) {
            revert PriorityRegistryOfficeMismatch(numberOffice, office);
        }
        EntryState storage state = _states[office][inclusion.batchRoot][commitment];
        if (state.published) revert PriorityRegistryAlreadyPublished(commitment);
        state.published = true;
        emit FilingPublished(office, commitment, inclusion.batchRoot, numberOffice, canonicalNumber, accessSecret);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IPriorityRegistry
    function getOffice(bytes2 office) external view returns (Office memory) {
        return _offices[office];
    }

    /// @inheritdoc IPriorityRegistry
    function gatewayEndpoint(bytes2 office) external view returns (string memory) {
        return _endpoints[office];
    }

    /// @inheritdoc IPriorityRegistry
    function officeOfSigner(address signer) external view returns (bytes2) {
        return _officeOfSigner[signer];
    }

    /// @inheritdoc IPriorityRegistry
    function officeNonce(bytes2 office) external view returns (uint256) {
        return nonces(_nonceKey(office));
    }

    /// @inheritdoc IPriorityRegistry
    function getRecord(bytes2 office, bytes32 commitment) external view returns (Record memory) {
        return _records[office][commitment];
    }

    /// @inheritdoc IPriorityRegistry
    function getBatch(bytes2 office, bytes32 root) external view returns (Batch memory) {
        return _batches[office][root];
    }

    /// @inheritdoc IPriorityRegistry
    function hasReport(bytes2 office, bytes32 reportDigest) external view returns (bool) {
        return _reports[office][reportDigest];
    }

    /// @inheritdoc IPriorityRegistry
    function versionOf(bytes2 office, bytes32 batchRoot, bytes32 commitment) external view returns (uint32) {
        return _states[office][batchRoot][commitment].amendments + 1;
    }

    /// @inheritdoc IPriorityRegistry
    function isPublished(bytes2 office, bytes32 batchRoot, bytes32 commitment) external view returns (bool) {
        return _states[office][batchRoot][commitment].published;
    }

    /// @inheritdoc IPriorityRegistry
    function verifyInclusion(bytes2 office, bytes32 root, bytes calldata entry, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _batches[office][root].office != bytes2(0) && MerkleProof.verifyCalldata(proof, root, leafOf(entry));
    }

    /// @inheritdoc IPriorityRegistry
    function computeCommitment(bytes2 office, string calldata canonicalNumber, string calldata accessSecret)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(COMMITMENT_TAG, office, canonicalNumber, accessSecret));
    }

    /// @inheritdoc IPriorityRegistry
    function computeClaimToken(bytes2 laterOffice, bytes32 laterCommitment, string calldata earlierAccessSecret)
        external
        pure
        returns (bytes16)
    {
        return bytes16(keccak256(abi.encode(CLAIM_TAG, laterOffice, laterCommitment, earlierAccessSecret)));
    }

    /// @inheritdoc IPriorityRegistry
    function computeDocumentDigest(bytes32 commitment, bytes32 documentSha256) external pure returns (bytes32) {
        return keccak256(abi.encode(DOCUMENT_TAG, commitment, documentSha256));
    }

    /// @inheritdoc IPriorityRegistry
    function computeReportDigest(bytes32 commitment, bytes32 reportSha256) external pure returns (bytes32) {
        return keccak256(abi.encode(REPORT_TAG, commitment, reportSha256));
    }

    /// @inheritdoc IPriorityRegistry
    function leafOf(bytes calldata entry) public pure returns (bytes32) {
        // StandardMerkleTree: a leaf is hashed twice so it can never be mistaken for an inner node.
        return keccak256(bytes.concat(keccak256(abi.encode(entry))));
    }

    /// @inheritdoc IPriorityRegistry
    function hashAnchorFiling(bytes2 office, Filing calldata filing, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        uint256 n = filing.priorityClaims.length;
        bytes32[] memory claimHashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            PriorityClaim calldata claim = filing.priorityClaims[i];
            claimHashes[i] = keccak256(
                abi.encode(
                    _PRIORITY_CLAIM_TYPEHASH,
                    claim.earlierOffice,
                    claim.earlierCommitment,
                    claim.claimedFilingDate,
                    claim.claimToken
                )
            );
        }
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _ANCHOR_FILING_TYPEHASH,
                    office,
                    filing.commitment,
                    filing.ipRightKind,
                    filing.filingDate,
                    filing.documentDigest,
                    keccak256(abi.encodePacked(claimHashes)),
                    nonce,
                    deadline
                )
            )
        );
    }

    /// @inheritdoc IPriorityRegistry
    function hashAnchorBatch(
        bytes2 office,
        bytes32 root,
        uint32 count,
        bytes32 entriesHash,
        uint256 nonce,
        uint256 deadline
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_ANCHOR_BATCH_TYPEHASH, office, root, count, entriesHash, nonce, deadline))
        );
    }

    /// @inheritdoc IPriorityRegistry
    function hashRotateOfficeKey(bytes2 office, address newSigner, uint256 nonce, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_ROTATE_TYPEHASH, office, newSigner, nonce, deadline)));
    }

    /// @inheritdoc IPriorityRegistry
    function hashPriorityDocument(bytes2 office, bytes32 commitment, bytes32 manifestSha256, uint32 version)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(_PRIORITY_DOCUMENT_TYPEHASH, office, commitment, manifestSha256, version))
        );
    }

    /// @inheritdoc IPriorityRegistry
    function hashReportRequest(
        bytes2 office,
        bytes32 reportId,
        bytes32 throughCommitment,
        bytes32 nonce,
        uint64 expiry
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(_REPORT_REQUEST_TYPEHASH, office, reportId, throughCommitment, nonce, expiry))
        );
    }

    /// @inheritdoc IPriorityRegistry
    function hashPriorityDocumentRequest(
        bytes2 office,
        bytes32 commitment,
        uint32 version,
        bytes32 accessSecretHash,
        bytes32 nonce,
        uint64 expiry
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _PRIORITY_DOCUMENT_REQUEST_TYPEHASH, office, commitment, version, accessSecretHash, nonce, expiry
                )
            )
        );
    }

    // ─── internals: governance ───────────────────────────────────────────────────────────────

    function _checkAdmit(bytes2 office, address signer) private view {
        if (office == bytes2(0)) revert PriorityRegistryInvalidOfficeCode(office);
        if (_offices[office].admitted) revert PriorityRegistryOfficeAlreadyAdmitted(office);
        _requireFreeSigner(signer);
    }

    function _checkSuspend(bytes2 office) private view {
        if (!_admitted(office).active) revert PriorityRegistryOfficeNotActive(office);
    }

    function _checkReinstate(bytes2 office) private view {
        if (_admitted(office).active) revert PriorityRegistryOfficeActive(office);
    }

    function _propose(Action action, bytes2 office, address signer, bool consented) private returns (uint256 id) {
        id = ++_proposalCount;
        uint256 electorate = _activeOffices;
        if (_offices[office].active) electorate -= 1;
        uint48 eta = uint48(block.timestamp) + _delay;
        Proposal storage p = _proposals[id];
        p.action = action;
        p.state = ProposalState.Pending;
        p.consented = consented;
        p.office = office;
        p.electorate = uint16(electorate);
        p.eta = eta;
        p.signer = signer;
        emit ProposalCreated(id, action, office, signer, eta, uint16(electorate));
        if (consented) emit ProposalConsented(id);
        if (_delay == 0 && consented) _execute(id, p);
    }

    function _execute(uint256 id, Proposal storage p) private {
        p.state = ProposalState.Executed;
        bytes2 office = p.office;
        // The directory may have changed since the proposal: the same checks as when it was made.
        if (p.action == Action.Admit) {
            _checkAdmit(office, p.signer);
            _offices[office] = Office({signer: p.signer, admitted: true, active: true});
            _officeOfSigner[p.signer] = office;
            _activeOffices += 1;
            emit OfficeAdmitted(office, p.signer);
        } else if (p.action == Action.Suspend) {
            _checkSuspend(office);
            _offices[office].active = false;
            _activeOffices -= 1;
            emit OfficeSuspended(office);
        } else if (p.action == Action.Reinstate) {
            _checkReinstate(office);
            _offices[office].active = true;
            _activeOffices += 1;
            emit OfficeReinstated(office);
        } else {
            _requireFreeSigner(p.signer);
            _rotate(office, p.signer);
        }
        emit ProposalExecuted(id);
    }

    function _pending(uint256 id) private view returns (Proposal storage p) {
        p = _proposals[id];
        if (p.state != ProposalState.Pending) revert PriorityRegistryProposalNotPending(id);
    }

    /// @dev An active office other than the target, voting once each way.
    function _vote(uint256 id, Proposal storage p, uint8 kind) private returns (bytes2 voter) {
        voter = _senderOffice();
        uint8 cast = _votes[id][voter];
        if (voter == p.office || cast & kind != 0) revert PriorityRegistryInvalidVote(id, voter);
        _votes[id][voter] = cast | kind;
    }

    function _rotate(bytes2 office, address newSigner) private {
        Office storage entry = _offices[office];
        address previous = entry.signer;
        delete _officeOfSigner[previous];
        entry.signer = newSigner;
        _officeOfSigner[newSigner] = office;
        emit OfficeKeyRotated(office, previous, newSigner);
    }

    // ─── internals: anchoring ────────────────────────────────────────────────────────────────

    function _anchorFiling(bytes2 office, Filing calldata filing) private {
        bytes32 commitment = filing.commitment;
        if (_records[office][commitment].office != bytes2(0)) {
            revert PriorityRegistryAlreadyAnchored(office, commitment);
        }
        _requireKind(filing.ipRightKind);
        _requireDate(filing.filingDate);
        uint256 n = filing.priorityClaims.length;
        if (n > _CLAIMS_MASK) revert PriorityRegistryTooManyClaims(n);
        _records[office][commitment] = Record({
            office: office,
            ipRightKind: filing.ipRightKind,
            filingDate: filing.filingDate,
            blockNumber: uint64(block.number),
            documentDigest: filing.documentDigest
        });
        emit FilingAnchored(office, commitment, filing.ipRightKind, filing.filingDate, filing.documentDigest);
        for (uint256 i = 0; i < n; ++i) {
            PriorityClaim calldata claim = filing.priorityClaims[i];
            _requireClaim(commitment, claim);
            emit PriorityClaimAdded(
                office,
                commitment,
                claim.earlierCommitment,
                claim.earlierOffice,
                bytes32(0),
                claim.claimedFilingDate,
                claim.claimToken,
                1
            );
        }
    }

    function _anchorBatch(bytes2 office, bytes32 root, uint32 count, bytes calldata entries) private {
        if (_batches[office][root].office != bytes2(0)) revert PriorityRegistryBatchAlreadyAnchored(office, root);
        if (count == 0) revert PriorityRegistryEmptyBatch();
        // Only a bound, not a parse: the index decodes the entries, range-checks them, checks the
        // count and the root, and refuses a batch that does not match (docs/spec/entries.md#merkle-tree).
        if (entries.length < uint256(count) * _ENTRY_HEAD) {
            revert PriorityRegistryMalformedEntries(count, entries.length);
        }
        _batches[office][root] = Batch({office: office, count: count, blockNumber: uint64(block.number)});
        emit BatchAnchored(office, root, count);
    }

    function _checkSignature(bytes2 office, bytes32 digest, uint256 deadline, bytes calldata signature)
        private
        view
        returns (Office storage entry)
    {
        if (block.timestamp > deadline) revert PriorityRegistryExpiredSignature(deadline);
        entry = _admitted(office);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != entry.signer) {
            revert PriorityRegistryInvalidSignature(office, recovered);
        }
    }

    function _useSignature(bytes2 office, bytes32 digest, uint256 deadline, bytes calldata signature) private {
        Office storage entry = _checkSignature(office, digest, deadline, signature);
        if (!entry.active) revert PriorityRegistryOfficeNotActive(office);
        _useNonce(_nonceKey(office));
    }

    function _senderOffice() private view returns (bytes2 office) {
        office = _officeOfSigner[msg.sender];
        if (office == bytes2(0)) revert PriorityRegistryNotOfficeSigner(msg.sender);
        if (!_offices[office].active) revert PriorityRegistryOfficeNotActive(office);
    }

    /// @dev The sender's (active) office, which must hold the filing anchored at `inclusion`.
    function _requireOwner(bytes32 commitment, Inclusion calldata inclusion) private view returns (bytes2 office) {
        office = _senderOffice();
        if (inclusion.batchRoot == bytes32(0)) {
            if (_records[office][commitment].office == bytes2(0)) {
                revert PriorityRegistryNotAnchored(office, commitment);
            }
        } else {
            if (_batches[office][inclusion.batchRoot].office == bytes2(0)) {
                revert PriorityRegistryUnknownBatch(office, inclusion.batchRoot);
            }
            if (
                inclusion.entry.length < _ENTRY_HEAD || bytes32(inclusion.entry[0:32]) != commitment
                    || !MerkleProof.verifyCalldata(inclusion.proof, inclusion.batchRoot, leafOf(inclusion.entry))
            ) revert PriorityRegistryInvalidProof(inclusion.batchRoot, commitment);
        }
    }

    function _nextVersion(bytes2 office, bytes32 batchRoot, bytes32 commitment) private returns (uint32) {
        EntryState storage state = _states[office][batchRoot][commitment];
        state.amendments += 1;
        return state.amendments + 1;
    }

    function _admitted(bytes2 office) private view returns (Office storage entry) {
        entry = _offices[office];
        if (!entry.admitted) revert PriorityRegistryUnknownOffice(office);
    }

    function _requireFreeSigner(address signer) private view {
        bytes2 holder = _officeOfSigner[signer];
        if (signer == address(0) || holder != bytes2(0)) revert PriorityRegistryInvalidSigner(signer, holder);
    }

    function _requireKind(uint8 kind) private pure {
        if (kind == 0 || kind > 4) revert PriorityRegistryInvalidKind(kind);
    }

    /// @dev A date the ledger can rule out cheaply: day 0, or after the block's UTC day + 1 (docs/spec/entries.md#chain-data-is-input).
    function _requireDate(uint32 date) private view {
        if (date == 0 || date > block.timestamp / 1 days + 1) revert PriorityRegistryInvalidDate(date);
    }

    function _requireClaim(bytes32 commitment, PriorityClaim calldata claim) private view {
        if (claim.earlierCommitment == commitment) revert PriorityRegistrySelfClaim(commitment);
        if (claim.earlierOffice == bytes2(0)) revert PriorityRegistryInvalidOfficeCode(claim.earlierOffice);
        _requireDate(claim.claimedFilingDate);
    }

    /// @dev OpenZeppelin `Nonces` is keyed by address; an office's nonces live under the address
    /// whose low 16 bits are its ST.3 code, an address no private key can be known for.
    function _nonceKey(bytes2 office) private pure returns (address) {
        return address(uint160(uint16(office)));
    }
}
