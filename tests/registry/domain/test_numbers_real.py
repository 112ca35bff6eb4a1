"""Real application numbers, in every form the databases print them, reduce to one canonical number.

docs/domain.md#numbers-as-databases-print-them; issue 13 item 7. Every number below was copied from a
recorded response of the EPO (OPS, Register), the USPTO (ODP, PEDS, Global Dossier) or Google Patents
stored in a public repository; the constant next to each group names the repository and the file.
For each application the test hands every form the record prints (docdb, epodoc, original) to
:func:`registry.domain.numbers.normalize` with the record's office and checks that all give the same
canonical number, that a check digit printed with the number verifies, and that the forms the
modules refuse on purpose (legacy forms that dropped part of the number, file numbers that are not
applications) are refused with their reason code rather than read some other way.
"""

from __future__ import annotations

import pytest

from registry.domain.numbers import cn, de, ep, normalize
from registry.errors import InvalidApplicationNumber

# --- sources ---------------------------------------------------------------------------------------
# EPO Open Patent Services, recorded with vcrpy / saved by client libraries:
PC_EPO_DOCS = "parkerhancock/patent_client: docs/user_guide/cassettes/epo/epo.md.yaml"
PC_NUMBER_SERVICE = "parkerhancock/patent_client: patent_client/_async/epo/ops/number_service/cassettes/api_test/"
PC_PUBLISHED = "parkerhancock/patent_client: patent_client/_async/epo/ops/published/cassettes/manager_test/"
PC_BIBLIO = "parkerhancock/patent_client: patent_client/_async/epo/ops/published/test/"
PC_LEGAL = "parkerhancock/patent_client: patent_client/_async/epo/ops/legal/fixtures/example_3.xml"
PC_FAMILY = (  # at commit 4328348d401ce262b095736e8cf7bf0002ec9205
    "parkerhancock/patent_client: tests/fixtures/epo/family_publication_docdb_EP.2906782.A2_.xml"
)
PD_EXAMPLES = "patent-dev/epo-ops: demo/examples/"
OPS_GUIDE = "parkerhancock/patent-client-agents: resources/epo/en-ops.txt (OPS Reference Guide v1.3.20)"
# USPTO Open Data Portal, PEDS and Global Dossier, recorded with vcrpy:
PC_ODP = "parkerhancock/patent_client: patent_client/_async/uspto/odp/cassettes/api_test/test_get_search.yaml"
PC_ODP_FP = (
    "parkerhancock/patent_client: patent_client/_async/uspto/odp/cassettes/api_test/test_get_foreign_priority_data.yaml"
)
PC_PEDS = "parkerhancock/patent_client: patent_client/_async/uspto/peds/cassettes/"
PC_GD = "parkerhancock/patent_client: docs/user_guide/cassettes/global_dossier/global_dossier.md.yaml"
PC_GD_US = (
    "parkerhancock/patent_client: "
    "patent_client/_async/uspto/global_dossier/cassettes/model_test/TestGlobalDossier.test_us_lookup_docs.yaml"
)
# Google Patents Public Datasets, sample values of application_number (DOCDB compatible):
GOOGLE = "google/patents-public-data: tables/dataset_Google Patents Public Datasets.md"

# (source, office, forms as printed, canonical number or the reason code of a deliberate refusal)
Record = tuple[str, str, tuple[str, ...], str]

EP_RECORDS: list[Record] = [
    (PC_EPO_DOCS, "EP", ("EP 99203729 A", "EP19990203729", "99203729"), "EP99203729"),
    (PC_GD, "EP", ("99203729.A",), "EP99203729"),  # USPTO Global Dossier: number.kind
    (PD_EXAMPLES + "get_biblio/response.xml", "EP", ("EP 10167109 A", "EP20100167109", "10167109"), "EP10167109"),
    (PD_EXAMPLES + "get_family_with_biblio/response.xml", "EP", ("EP20100167109", "10167109.7"), "EP10167109"),
    (
        PD_EXAMPLES + "get_biblio_multiple/response.xml",
        "EP",
        ("EP 11169280 A", "EP20110169280", "11169280"),
        "EP11169280",
    ),
    (PD_EXAMPLES + "search_with_constituent/response.xml", "EP", ("EP20230173822", "23173822.0"), "EP23173822"),
    (PC_FAMILY, "EP", ("EP 13844704 A",), "EP13844704"),
    (PC_PUBLISHED + "TestPublished.test_get_family_from_result.yaml", "EP", ("EP 08868513 A",), "EP08868513"),
    # USPTO ODP foreignPriorityBag: EP numbers with their check digits.
    (PC_ODP, "EP", ("18161075.9",), "EP18161075"),
    (PC_ODP, "EP", ("21186803.9",), "EP21186803"),
    (PC_ODP, "EP", ("21382673.8",), "EP21382673"),
    (PC_ODP, "EP", ("21188331.9",), "EP21188331"),
    (PC_ODP, "EP", ("21382702.5",), "EP21382702"),
    (PC_ODP, "EP", ("21188631.2",), "EP21188631"),
    (PC_ODP, "EP", ("21188641.1",), "EP21188641"),
    (PC_ODP, "EP", ("21190098.0",), "EP21190098"),
    (PC_ODP, "EP", ("21191027.8",), "EP21191027"),
    (PC_ODP, "EP", ("21194336.0",), "EP21194336"),
    (PC_ODP, "EP", ("21194338.6",), "EP21194338"),
    (PC_ODP, "EP", ("21198923.1",), "EP21198923"),
    (PC_ODP, "EP", ("21201778.4",), "EP21201778"),
    (PC_ODP, "EP", ("22382367.5",), "EP22382367"),
    (PC_ODP, "EP", ("22187746.7",), "EP22187746"),
    (GOOGLE, "EP", ("EP-00923525-A",), "EP00923525"),
    (GOOGLE, "EP", ("EP-92400569-A",), "EP92400569"),
    (GOOGLE, "EP", ("EP-79200311-A",), "EP79200311"),
    (GOOGLE, "EP", ("EP-15803369-A",), "EP15803369"),
]

US_RECORDS: list[Record] = [
    (PC_LEGAL, "US", ("US 201815919370 A",), "US15919370"),
    (PC_LEGAL, "US", ("US 201361761070 P",), "US61761070"),
    (PC_LEGAL, "US", ("US 201715421222 A",), "US15421222"),
    (PC_LEGAL, "US", ("US 201313930683 A",), "US13930683"),
    (PC_FAMILY, "US", ("US 201261713164 P",), "US61713164"),
    (PC_FAMILY, "US", ("US 201314052000 A",), "US14052000"),
    (
        PC_PUBLISHED + "TestPublished.test_can_handle_single_item_ipc_classes.yaml",
        "US",
        ("US201862746724P", "62/746,724"),
        "US62746724",
    ),
    (
        PC_PUBLISHED + "TestPublished.test_get_biblio_from_result.yaml",
        "US",
        ("US201313926335", "13/926,335"),
        "US13926335",
    ),
    (PC_BIBLIO + "biblio_example_3.xml", "US", ("US201213547826", "13/547,826"), "US13547826"),
    (
        PD_EXAMPLES + "get_family_with_biblio/response.xml",
        "US",
        ("US 201113167395 A", "US201113167395", "13167395"),
        "US13167395",
    ),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "US", ("202163251090P",), "US63251090"),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "US", ("202217649919",), "US17649919"),
    (GOOGLE, "US", ("US-201113017029-A",), "US13017029"),
    (GOOGLE, "US", ("US-201615041550-A",), "US15041550"),
    (GOOGLE, "US", ("US-201314136269-A",), "US14136269"),
    # The original form reads; the legacy DOCDB and epodoc forms left out the series code.
    (PC_BIBLIO + "biblio_example.xml", "US", ("11023667",), "US11023667"),
    (PC_BIBLIO + "biblio_example.xml", "US", ("US 2366704 A", "US20040023667"), "legacyForm"),
    (PC_BIBLIO + "biblio_example_4.xml", "US", ("12942680",), "US12942680"),
    (PC_BIBLIO + "biblio_example_4.xml", "US", ("US 94268010 A", "US20100942680"), "legacyForm"),
    (PC_PUBLISHED + "TestPublished.test_get_biblio_from_wo.yaml", "US", ("11/964,952",), "US11964952"),
    (PC_PUBLISHED + "TestPublished.test_get_biblio_from_wo.yaml", "US", ("US20070964952",), "legacyForm"),
    (PC_PUBLISHED + "TestPublished.test_get_family_from_result.yaml", "US", ("US 96495207 A",), "legacyForm"),
    (PC_NUMBER_SERVICE + "TestNumberServiceApi.test_original_to_epodoc.yaml", "US", ("08/921,321",), "US08921321"),
    (PC_NUMBER_SERVICE + "TestNumberServiceApi.test_original_to_epodoc.yaml", "US", ("US19970921321",), "legacyForm"),
    (PC_PUBLISHED + "TestPublished.test_issue_41.yaml", "US", ("US20020396363P", "2002 396363"), "legacyForm"),
    (PC_EPO_DOCS, "US", ("US 20685698 A",), "legacyForm"),
    (OPS_GUIDE, "US", ("11/183,143",), "US11183143"),
    (OPS_GUIDE, "US", ("US 18314305 A",), "legacyForm"),
    (GOOGLE, "US", ("US-87124404-A", "US-96774307-A", "US-50184405-A", "US-1322501-A"), "legacyForm"),
]

JP_RECORDS: list[Record] = [
    (
        PC_NUMBER_SERVICE + "TestNumberServiceApi.test_original_to_docdb.yaml",
        "JP",
        ("2006-147056", "JP 2006147056 A"),
        "JP2006147056",
    ),
    (
        PC_PUBLISHED + "TestPublished.test_issue_41.yaml",
        "JP",
        ("JP 2005505120 A", "JP20050505120", "2005505120"),
        "JP2005505120",
    ),
    (PC_PUBLISHED + "TestPublished.test_get_family_from_result.yaml", "JP", ("JP 2010540766 A",), "JP2010540766"),
    (PC_ODP_FP, "JP", ("2017-187096",), "JP2017187096"),
    (PC_GD, "JP", ("JP 2017187096 A",), "JP2017187096"),
    (PC_GD_US, "JP", ("2017187096.A",), "JP2017187096"),
    (GOOGLE, "JP", ("JP-2009554399-A",), "JP2009554399"),
    (GOOGLE, "JP", ("JP-2000286745-A",), "JP2000286745"),
    (GOOGLE, "JP", ("JP-2010500047-A",), "JP2010500047"),
    (GOOGLE, "JP", ("JP-2006339114-A",), "JP2006339114"),
    (GOOGLE, "JP", ("JP-2005284467-A",), "JP2005284467"),
    # DOCDB's pre-2000 form (serial + two-digit year) also reads as an era-year publication.
    (GOOGLE, "JP", ("JP-27256688-A", "JP-26045791-A", "JP-22233295-A", "JP-4496779-A", "JP-41011390-A"), "legacyForm"),
    # Utility-model applications count their serials apart from patents.
    (GOOGLE, "JP", ("JP-10676982-U", "JP-17226783-U"), "unknownSeries"),
]

CN_RECORDS: list[Record] = [
    (PC_PUBLISHED + "TestPublished.test_get_family_from_result.yaml", "CN", ("CN 200880123968 A",), "CN200880123968"),
    (PC_PUBLISHED + "TestPublished.test_get_family_from_result.yaml", "CN", ("CN 201210106458 A",), "CN201210106458"),
    (PC_FAMILY, "CN", ("CN 201380062258 A",), "CN201380062258"),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "CN", ("202410485399",), "CN202410485399"),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "CN", ("202410563104",), "CN202410563104"),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "CN", ("202411184801",), "CN202411184801"),
    (PD_EXAMPLES + "search_register_with_constituent/response.xml", "CN", ("202411352531",), "CN202411352531"),
    (GOOGLE, "CN", ("CN-201420032886-U",), "CN201420032886"),
    (GOOGLE, "CN", ("CN-201711083518-A",), "CN201711083518"),
    (GOOGLE, "CN", ("CN-201320298516-U",), "CN201320298516"),
    (GOOGLE, "CN", ("CN-96198651-A",), "CN96198651"),
    (GOOGLE, "CN", ("CN-00130775-A",), "CN00130775"),
    (GOOGLE, "CN", ("CN-201610963148-A",), "CN201610963148"),
]

KR_RECORDS: list[Record] = [
    (
        PC_PUBLISHED + "TestPublished.test_document_downloading.yaml",
        "KR",
        ("KR20080107376", "10-2008-0107376"),
        "KR1020080107376",
    ),
    (OPS_GUIDE, "KR", ("KR20107026618", "1020107026618"), "KR1020107026618"),
    (
        PC_PEDS + "manager_test/TestPatentExaminationData.test_iterator.yaml",
        "KR",
        ("10-2005-0078345",),
        "KR1020050078345",
    ),
    (
        PC_PEDS + "manager_test/TestPatentExaminationData.test_get_by_pub_number.yaml",
        "KR",
        ("2004-0104821",),
        "KR1020040104821",
    ),
    (GOOGLE, "KR", ("KR-20140192233-A",), "KR1020140192233"),
    (GOOGLE, "KR", ("KR-20080103596-A",), "KR1020080103596"),
    (GOOGLE, "KR", ("KR-20177011961-A",), "KR1020177011961"),
    (GOOGLE, "KR", ("KR-19970007777-A",), "KR1019970007777"),
    (GOOGLE, "KR", ("KR-20137018309-A",), "KR1020137018309"),
    (GOOGLE, "KR", ("KR-19950025819-U",), "KR2019950025819"),
    (GOOGLE, "KR", ("KR-900009805-U",), "KR2019900009805"),
    (GOOGLE, "KR", ("KR-20110122194-A",), "KR1020110122194"),
]

DE_RECORDS: list[Record] = [
    (OPS_GUIDE, "DE", ("10 2006 032 425.0",), "DE102006032425"),
    (GOOGLE, "DE", ("DE-102017009963-A",), "DE102017009963"),
    (GOOGLE, "DE", ("DE-2226015-A",), "DE2226015"),
    (GOOGLE, "DE", ("DE-2516089-A",), "DE2516089"),
    (GOOGLE, "DE", ("DE-3601193-A",), "DE3601193"),
    (GOOGLE, "DE", ("DE-2747637-A",), "DE2747637"),
    (GOOGLE, "DE", ("DE-2624061-A",), "DE2624061"),
    (GOOGLE, "DE", ("DE-1604434-A",), "DE1604434"),
    # File numbers the DPMA gives European patents in Germany: not DPMA applications.
    (PC_EPO_DOCS, "DE", ("DE 69905327 T",), "unknownSeries"),
    (GOOGLE, "DE", ("DE-50011530-A", "DE-68926392-T", "DE-69840731-A", "DE-59809022-A"), "unknownSeries"),
]

GB_RECORDS: list[Record] = [
    (PD_EXAMPLES + "search_with_constituent/response.xml", "GB", ("GB20230006615", "2306615.2"), "GB2306615"),
    (PD_EXAMPLES + "search_with_constituent/response.xml", "GB", ("GB20180000758", "201800758"), "GB1800758"),
    (PC_PEDS + "manager_test/TestPatentExaminationData.test_iterator.yaml", "GB", ("1217782.0",), "GB1217782"),
    (PC_PEDS + "api_test/test_can_search_by_customer_number.yaml", "GB", ("0000279.0",), "GB0000279"),
    (GOOGLE, "GB", ("GB-201314499-A",), "GB1314499"),
    (GOOGLE, "GB", ("GB-201322995-A",), "GB1322995"),
    (GOOGLE, "GB", ("GB-1918652-A",), "GB1918652"),
    (GOOGLE, "GB", ("GB-9727254-A",), "GB9727254"),
    (GOOGLE, "GB", ("GB-0415270-A",), "GB0415270"),
    (GOOGLE, "GB", ("GB-2591077-A",), "GB2591077"),
    (GOOGLE, "GB", ("GB-8529616-A",), "GB8529616"),
    (GOOGLE, "GB", ("GB-1838233-A",), "GB1838233"),
]

FR_RECORDS: list[Record] = [
    (GOOGLE, "FR", ("FR-0652132-A",), "FR0652132"),
    (GOOGLE, "FR", ("FR-1451345-A",), "FR1451345"),
    (GOOGLE, "FR", ("FR-0857142-A",), "FR0857142"),
    (GOOGLE, "FR", ("FR-0310343-A",), "FR0310343"),
    (GOOGLE, "FR", ("FR-9016242-A",), "FR9016242"),
    (GOOGLE, "FR", ("FR-7201675-A",), "FR7201675"),
    (GOOGLE, "FR", ("FR-1662221-A",), "FR1662221"),
    # INPI numbers before 1969 (six digits, or with the letter D) have no YYNNNNN form.
    (GOOGLE, "FR", ("FR-894008-A", "FR-819852-A", "FR-840958-A", "FR-995148-A"), "badLength"),
    (GOOGLE, "FR", ("FR-904391D-A", "FR-1552705D-A", "FR-1017927D-A"), "badCharacter"),
]

# Given with office WO; a DOCDB "… W" is also read with its receiving office (test below).
WO_RECORDS: list[Record] = [
    (
        PC_PUBLISHED + "TestPublished.test_can_handle_single_item_ipc_classes.yaml",
        "WO",
        ("US 2019056674 W", "WO2019US56674", "US2019/056674"),
        "PCTUS2019056674",
    ),
    (
        PC_PUBLISHED + "TestPublished.test_document_downloading.yaml",
        "WO",
        ("KR 2009006271 W", "WO2009KR06271", "KR2009/006271"),
        "PCTKR2009006271",
    ),
    (
        PC_PUBLISHED + "TestPublished.test_get_biblio_from_wo.yaml",
        "WO",
        ("US 2008086599 W", "WO2008US86599", "US2008/086599"),
        "PCTUS2008086599",
    ),
    (
        PC_NUMBER_SERVICE + "TestNumberServiceApi.test_original_to_docdb_pct.yaml",
        "WO",
        ("PCT/GB02/04635", "GB 0204635 W"),
        "PCTGB2002004635",
    ),
    (PC_BIBLIO + "biblio_example_3.xml", "WO", ("WO2013US50328", "US2013/050328"), "PCTUS2013050328"),
    (PC_PUBLISHED + "TestPublished.test_issue_41.yaml", "WO", ("WO2003US21714",), "PCTUS2003021714"),
    (PD_EXAMPLES + "search_with_constituent/response.xml", "WO", ("WO2024EP63512", "EP2024/063512"), "PCTEP2024063512"),
    (PD_EXAMPLES + "search_with_constituent/response.xml", "WO", ("WO2024US23778", "US2024/023778"), "PCTUS2024023778"),
    (PD_EXAMPLES + "search_with_constituent/response.xml", "WO", ("WO2019EP50740", "EP2019050740"), "PCTEP2019050740"),
    (PC_FAMILY, "WO", ("US 2013064552 W",), "PCTUS2013064552"),
    (GOOGLE, "WO", ("US-9710335-W",), "PCTUS1997010335"),
    (GOOGLE, "WO", ("AT-9200167-W",), "PCTAT1992000167"),
    (GOOGLE, "WO", ("IB-2006052755-W",), "PCTIB2006052755"),
    (GOOGLE, "WO", ("JP-2005020591-W",), "PCTJP2005020591"),
    (GOOGLE, "WO", ("FR-2012053090-W",), "PCTFR2012053090"),
]

ALL_RECORDS = {
    "EP": EP_RECORDS,
    "US": US_RECORDS,
    "JP": JP_RECORDS,
    "CN": CN_RECORDS,
    "KR": KR_RECORDS,
    "DE": DE_RECORDS,
    "GB": GB_RECORDS,
    "FR": FR_RECORDS,
    "WO": WO_RECORDS,
}
CASES = [
    pytest.param(office, form, expected, id=f"{office}:{form}")
    for records in ALL_RECORDS.values()
    for _, office, forms, expected in records
    for form in forms
]


def _numbers(records: list[Record]) -> int:
    # A readable record is one application in several forms; a refused group lists several numbers.
    return sum(1 if expected[0].isupper() else len(forms) for _, _, forms, expected in records)


@pytest.mark.parametrize("office", list(ALL_RECORDS))
def test_at_least_ten_real_numbers_per_office_with_their_sources(office: str) -> None:
    records = ALL_RECORDS[office]
    assert _numbers(records) >= 10
    assert all(":" in source for source, *_ in records)


@pytest.mark.parametrize(("office", "given", "expected"), CASES)
def test_every_printed_form_gives_the_same_canonical_number(office: str, given: str, expected: str) -> None:
    if expected[0].isupper():
        result = normalize(office, given)
        assert result.canonical == expected
        # A form a database printed reads back the same as the canonical number it gave.
        assert normalize(result.office, result.canonical).canonical == expected
        return
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize(office, given)
    assert caught.value.code == expected, caught.value.message


def test_the_check_digits_the_records_print_verify() -> None:
    printed = [form for _, _, forms, _ in EP_RECORDS for form in forms if form[-2:-1] == "." and form[-1].isdigit()]
    assert len(printed) >= 15
    for form in printed:
        digits, check = form.split(".")
        assert ep.calc_check_digit(digits) == check, form
        assert normalize("EP", form).check_digit == check
    assert de.calc_check_digit("102006032425") == "0"  # OPS guide: "10 2006 032 425.0"
    assert normalize("GB", "2306615.2").check_digit == "2"  # kept as printed: UKIPO publishes no algorithm


def test_a_mistyped_check_digit_on_a_real_number_is_caught() -> None:
    for number in ["21198923.2", "18161075.8"]:
        with pytest.raises(InvalidApplicationNumber) as caught:
            normalize("EP", number)
        assert caught.value.code == "checkDigitMismatch"
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize("DE", "10 2006 032 425.1")
    assert caught.value.code == "checkDigitMismatch"


def test_cn_numbers_carry_the_check_character_computed_from_their_digits() -> None:
    for _, _, forms, expected in CN_RECORDS:
        result = normalize("CN", forms[0])
        assert result.check_digit == cn.calc_check_digit(expected[2:])
        assert normalize("CN", f"{expected[2:]}.{result.check_digit}").canonical == expected


def test_legacy_forms_are_refused_by_name_with_the_reading_in_the_message() -> None:
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize("US", "US 18314305 A")
    message = caught.value.message
    assert caught.value.code == "legacyForm"
    assert "legacy DOCDB form" in message and "give the series and serial" in message and "183,143" in message
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize("JP", "JP-27256688-A")
    assert caught.value.code == "legacyForm" and "S63-272566" in caught.value.message


def test_publication_numbers_are_still_refused() -> None:
    for office, number in [
        ("US", "US 2019/0095759 A1"),
        ("WO", "WO 2004/123456"),
        ("EP", "EP 1 234 567 A1"),
        ("JP", "JP 2019-095759 A"),
        ("GB", "GB 2 123 456 A"),
        ("CN", "CN-107123456-A"),
        ("KR", "KR 10-2005-0078345 B1"),
        ("DE", "DE 10 2007 004 488 A1"),
    ]:
        with pytest.raises(InvalidApplicationNumber) as caught:
            normalize(office, number)
        assert caught.value.code == "notAnApplicationNumber", number


def test_a_docdb_pct_number_given_with_its_receiving_office_is_the_wo_record() -> None:
    docdb = [form for _, _, forms, _ in WO_RECORDS for form in forms if form.endswith("W")]
    assert len(docdb) >= 10
    for form in docdb:
        by_ro = normalize(form[:2], form)
        assert by_ro.office == "WO"
        assert by_ro.receiving_office == form[:2]
        assert by_ro.canonical == normalize("WO", form).canonical


def test_a_docdb_pct_number_given_with_another_office_is_refused() -> None:
    with pytest.raises(InvalidApplicationNumber) as caught:
        normalize("EP", "US 2019056674 W")
    assert caught.value.code == "officeMismatch"
