"""The one vocabulary of error detail codes (docs/api.md#error-detail-codes; issue 19, item 3).

``details[].code`` of every error envelope is one of :data:`DETAIL_CODES`: a lowerCamelCase
domain code saying what is wrong, whoever found it. Two other vocabularies are translated into it
at the one place that builds envelopes (:mod:`api.errors`):

- pydantic's error types (``missing``, ``string_type``, ``extra_forbidden``…) through
  :data:`PYDANTIC_CODES` (a type not listed becomes ``invalidValue``);
- the contract's custom errors (``PriorityRegistryAlreadyAnchored``…) through
  :data:`REVERT_CODES` (one not listed, or a plain ``Error(string)``, becomes ``ledgerRefused``).

The table is served in the OpenAPI description and printed in the README; a test checks that
every code the sources raise, every contract error and every pydantic type met is in it.
"""

from __future__ import annotations

__all__ = ["DETAIL_CODES", "PYDANTIC_CODES", "REVERT_CODES", "detail_for_pydantic", "detail_for_revert", "markdown"]

#: code → what it means. Grouped as the README prints them.
DETAIL_CODES: dict[str, str] = {
    # the request as a whole
    "bodyTooLarge": "the body is larger than the endpoint takes (413)",
    "bodyUnreadable": "the body is not UTF-8 text",
    "bodyTimeout": "the body stopped arriving, or came slower than 1 KiB/s (408)",
    "jsonInvalid": "the body is not valid JSON",
    "tooDeep": "JSON nested deeper than 32 levels",
    "tooManyItems": "more items in one array or object than allowed (10,000; 127 claims; 10,000 filings)",
    "tooFewItems": "fewer items than required (an empty batch)",
    "tooManyValues": "more than 1,000,000 JSON values",
    "stringTooLong": "a JSON string over 1 MiB",
    "malformedPackage": "a priority-document package that breaks the container rules (the check archiveWellFormed)",
    "keyTooLong": "a JSON key over 256 characters",
    "numberOutOfRange": "a JSON number outside what the API reads",
    "multipartInvalid": "the multipart upload cannot be read",
    "notAcceptable": "the Accept header names no type this resource has (406)",
    "unsupportedMediaType": "the body's Content-Type is not one the endpoint takes (415)",
    "rateLimited": "too many requests from this caller; see Retry-After (429)",
    # fields
    "required": "a required field is missing",
    "unknownField": "a field the schema does not have (a typo would drop data)",
    "wrongType": "a value of the wrong JSON type",
    "tooLong": "a string longer than its field allows",
    "tooShort": "a string shorter than its field allows",
    "tooLarge": "a file larger than its field allows",
    "badFormat": "a value not in the field's format",
    "notAllowedValue": "a value outside the field's list of values",
    "invalidValue": "a value the field does not accept",
    "invalidInput": "input that cannot be used",
    # offices, numbers, codes, dates
    "invalidOfficeCode": "not a WIPO ST.3 office code",
    "reservedOfficeCode": "an ST.3 code reserved for no office",
    "unknownOffice": "an office the directory does not hold",
    "officeMismatch": "the number belongs to another office than the one named",
    "badLength": "a number or access code with too many or too few characters",
    "badCharacter": "a character an access code cannot hold",
    "checkCharacterMismatch": "an access code whose check character is wrong (a typo)",
    "checkDigitMismatch": "an application number whose check digit is wrong",
    "unknownSeries": "a series code the office does not use",
    "ambiguousNumber": "a number that reads as more than one application",
    "notAnApplicationNumber": "a publication or patent number, not an application number",
    "legacyForm": "a database form of the number that dropped part of it",
    "implausibleYear": "a year in the number no application can have",
    "notCanonical": "a value not written in its one canonical form",
    "badCommitment": "not a commitment (0x and 64 hex digits)",
    "badDigest": "not a SHA-256 digest (or all zero)",
    "weakAccessCode": "an office-chosen access code that is too easy to guess",
    "invalidDate": "not a calendar date YYYY-MM-DD",
    "notAPlausibleDate": "a date before 1883-03-20, in the future, or a claim after its filing",
    "reportBeforeFiling": "a report dated before the filing date of the application it reports on",
    "placeholderDate": "a placeholder date such as 1900-01-01",
    "invalidCalendar": "an office calendar that cannot be read",
    "unknownKind": "not patent, utilityModel, design or trademark",
    "badRelation": "not divisional or continuation",
    "badDelay": "a governance delay or clock step that is not a number of seconds, 0 or more",
    # claims and filings
    "invalidClaim": "an inconsistent priority claim",
    "badClaim": "a priority claim entry that cannot be encoded",
    "badClaimToken": "a claim token that is not exactly 16 bytes",
    "duplicateClaim": "the same priority claimed twice",
    "selfClaim": "an application claiming itself",
    "claimCycle": "claims that go round in a circle",
    "unknownClaim": "a claim the record does not make",
    "noClaims": "a request about claims that names none",
    "tooManyClaims": "more than 127 priority claims",
    "duplicateFiling": "the same application twice in one batch",
    "emptyBatch": "a batch without filings",
    "batchTooLarge": "a batch over the size the ledger takes",
    "malformedEntries": "batch entries that cannot be decoded",
    "badMerkleNode": "a Merkle proof node that is not 32 bytes",
    "badHeader": "an import file whose header row is not understood",
    "badRow": "an import row that cannot be read",
    "badType": "an import value of the wrong type",
    # what the ledger refused (the contract's custom errors)
    "alreadyAnchored": "the application (or batch root) is already on the ledger: first write wins (409)",
    "alreadyPublished": "the number was already published (409)",
    "notAnchored": "nothing is anchored under this commitment",
    "commitmentMismatch": "number and access code do not give the anchored commitment",
    "filingDateMismatch": "the right access code, but the application was filed on another day",
    "officeNotActive": "the office is suspended or was never admitted (403)",
    "officeAlreadyAdmitted": "the office is already admitted",
    "officeActive": "the office is active (it must be suspended first)",
    "notOfficeSigner": "the key is not the current key of an admitted office (403)",
    "invalidSigner": "a signing key the office cannot have",
    "unauthorized": "the caller lacks the role, or acts for another office (403)",
    "unknownBatch": "no batch has this root",
    "invalidProof": "a Merkle proof that does not lead to the batch root",
    "invalidKind": "a kind of right the ledger does not know",
    "signatureExpired": "a relayed entry past its deadline",
    "invalidSignature": "a relayed entry not signed by the office's current key",
    "invalidReportKind": "a kind of report the ledger does not know",
    "unknownProposal": "no governance proposal has this id",
    "proposalNotPending": "no pending governance proposal has this id (unknown, executed or cancelled)",
    "proposalNotReady": "the governance proposal's delay has not passed, or it lacks the consent a key rotation needs",
    "invalidVote": "an office that may not vote on this proposal, or already voted this way",
    "ledgerRefused": "the ledger refused the transaction for a reason it did not name",
    # the gateway itself
    "keyStoreUnavailable": "the gateway cannot open its office key (500): nothing was written; its operator must act",
}

#: pydantic error type → detail code.
PYDANTIC_CODES: dict[str, str] = {
    "missing": "required",
    "extra_forbidden": "unknownField",
    "json_invalid": "jsonInvalid",
    "json_type": "jsonInvalid",
    "string_too_long": "tooLong",
    "string_too_short": "tooShort",
    "too_long": "tooManyItems",
    "too_short": "tooFewItems",
    "string_pattern_mismatch": "badFormat",
    "literal_error": "notAllowedValue",
    "enum": "notAllowedValue",
    "date_parsing": "invalidDate",
    "date_from_datetime_parsing": "invalidDate",
    "date_from_datetime_inexact": "invalidDate",
    "date_type": "invalidDate",
    "value_error": "invalidValue",
    "assertion_error": "invalidValue",
    **{
        kind: "wrongType"
        for kind in (
            "string_type",
            "string_unicode",
            "int_type",
            "int_parsing",
            "int_from_float",
            "float_type",
            "float_parsing",
            "bool_type",
            "bool_parsing",
            "list_type",
            "tuple_type",
            "set_type",
            "dict_type",
            "model_type",
            "model_attributes_type",
            "dataclass_type",
            "none_required",
            "bytes_type",
            "is_instance_of",
            "union_tag_invalid",
            "union_tag_not_found",
        )
    },
}

#: The contract's custom errors (contracts/IPriorityRegistry.sol, without the ``PriorityRegistry``
#: prefix) → detail code.
REVERT_CODES: dict[str, str] = {
    "InvalidOfficeCode": "invalidOfficeCode",
    "OfficeAlreadyAdmitted": "officeAlreadyAdmitted",
    "UnknownOffice": "unknownOffice",
    "OfficeNotActive": "officeNotActive",
    "OfficeActive": "officeActive",
    "InvalidSigner": "invalidSigner",
    "NotOfficeSigner": "notOfficeSigner",
    "Unauthorized": "unauthorized",
    "AlreadyAnchored": "alreadyAnchored",
    "BatchAlreadyAnchored": "alreadyAnchored",
    "NotAnchored": "notAnchored",
    "UnknownBatch": "unknownBatch",
    "InvalidProof": "invalidProof",
    "InvalidKind": "invalidKind",
    "InvalidDate": "invalidDate",
    "MalformedEntries": "malformedEntries",
    "EmptyBatch": "emptyBatch",
    "SelfClaim": "selfClaim",
    "TooManyClaims": "tooManyClaims",
    "ExpiredSignature": "signatureExpired",
    "InvalidSignature": "invalidSignature",
    "CommitmentMismatch": "commitmentMismatch",
    "OfficeMismatch": "officeMismatch",
    "AlreadyPublished": "alreadyPublished",
    "ReportAlreadyAnchored": "alreadyAnchored",
    "InvalidReportKind": "invalidReportKind",
    "ProposalNotPending": "proposalNotPending",
    "ProposalNotReady": "proposalNotReady",
    "InvalidVote": "invalidVote",
}


def detail_for_pydantic(kind: str) -> str:
    """The detail code of a pydantic error type."""
    return PYDANTIC_CODES.get(kind, "invalidValue")


def detail_for_revert(name: str) -> str:
    """The detail code of a contract error name (with or without the ``PriorityRegistry`` prefix)."""
    return REVERT_CODES.get(name.removeprefix("PriorityRegistry"), "ledgerRefused")


def markdown() -> str:
    """The vocabulary as a Markdown list (the OpenAPI description, the README)."""
    return "\n".join(f"- `{code}`: {meaning}" for code, meaning in DETAIL_CODES.items())
