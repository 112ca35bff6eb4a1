"""Real-format application numbers per office reduce to the canonical forms of
docs/spec/commitments.md#canonical-numbers.

Numbers come from docs/domain.md#number-formats-by-office and realistic numbers of the same shape; check digits were
computed with the modules' algorithms only after those reproduced the offices' worked examples (EP 99403122 → 7,
CN 201710601862 → 3 and 95115608 → X, DE 31 30 619 → 5), which are tested first.
"""

from __future__ import annotations

import pytest

from registry.domain.numbers import canonical, cn, de, ep, fr, gb, jp, kr, normalize, us, wo

# --- worked check-digit examples from the offices' documents -------------------------------------


def test_ep_check_digit_reproduces_the_epo_worked_example() -> None:
    assert ep.calc_check_digit("99403122") == "7"


@pytest.mark.parametrize(("digits", "check"), [("201710601862", "3"), ("202120322383", "X"), ("95115608", "X")])
def test_cn_check_character_reproduces_the_documented_examples(digits: str, check: str) -> None:
    assert cn.calc_check_digit(digits) == check


def test_cn_check_of_the_undotted_13_character_example_verifies() -> None:
    assert cn.validate("2019109588007") == "CN201910958800"


@pytest.mark.parametrize(("digits", "check"), [("3130619", "5"), ("102007004488", "9")])
def test_de_check_digit_reproduces_the_dpma_worked_examples(digits: str, check: str) -> None:
    assert de.calc_check_digit(digits) == check


def test_de_check_result_ten_is_written_zero() -> None:
    # 1999999: 9·(2+3+4+5+6+7) + 8 = 251, 251 mod 11 = 9 → 2; find one with r = 1 instead.
    digits = next(f"{n:07d}" for n in range(1_000_000, 1_100_000) if _de_remainder(f"{n:07d}") == 1)
    assert de.calc_check_digit(digits) == "0"
    assert de.validate(f"{digits[:2]} {digits[2:4]} {digits[4:]}.0") == f"DE{digits}"


def _de_remainder(digits: str) -> int:
    return sum(int(c) * w for w, c in enumerate(reversed(digits), start=2)) % 11


# --- ≥ 10 numbers per office ----------------------------------------------------------------------

EP_NUMBERS = [
    ("EP 99 403 122.7", "EP99403122"),
    ("99403122", "EP99403122"),
    ("EP99203729.1", "EP99203729"),
    ("EP 23 123 456.8", "EP23123456"),
    ("17180467.7", "EP17180467"),
    ("EP05761473", "EP05761473"),
    ("EP 12 812 345.2", "EP12812345"),
    ("EP20305071", "EP20305071"),
    ("EP20080165440", "EP08165440"),
    ("14 799 987.4", "EP14799987"),
    ("EP19215688.3", "EP19215688"),
    ("00 400 001.4", "EP00400001"),
]
US_NUMBERS = [
    ("16/123,456", "US16123456"),
    ("16123456", "US16123456"),
    ("17/647036", "US17647036"),
    ("US 201862649118 P", "US62649118"),
    ("62/649,118", "US62649118"),
    ("US 15/027,322", "US15027322"),
    ("29/712,345", "US29712345"),
    ("35/501,234", "US35501234"),
    ("63/012,345", "US63012345"),
    ("60/123,456", "US60123456"),
    ("09/876,543", "US09876543"),
    ("8/123,456", "US08123456"),
    ("U.S. 18/000,123", "US18000123"),
    ("US 201916123456 A", "US16123456"),
]
JP_NUMBERS = [
    ("2017-187096", "JP2017187096"),
    ("特願2017-187096", "JP2017187096"),
    ("JP2020-050222", "JP2020050222"),
    ("JP 2000352324", "JP2000352324"),
    ("57-233998", "JP1982233998"),
    ("特願昭57-233998", "JP1982233998"),
    ("特願平11-123456", "JP1999123456"),
    ("H11-123456", "JP1999123456"),
    ("平成11年特許願第123456号", "JP1999123456"),
    ("2019-512345", "JP2019512345"),
    ("特許願第2021-001234号", "JP2021001234"),
    ("S63-012345", "JP1988012345"),
    ("２０１７－１８７０９６", "JP2017187096"),
    ("2020-50222", "JP2020050222"),
]
CN_NUMBERS = [
    ("201710601862.3", "CN201710601862"),
    ("CN 202120322383.X", "CN202120322383"),
    ("2019109588007", "CN201910958800"),
    ("95115608.X", "CN95115608"),
    ("CN201911287932.8", "CN201911287932"),
    ("202010123456.2", "CN202010123456"),
    ("201821234567.5", "CN201821234567"),
    ("202330012345.9", "CN202330012345"),
    ("201880001234.4", "CN201880001234"),
    ("201990012345.5", "CN201990012345"),
    ("200510012345.x", "CN200510012345"),
    ("01123456.3", "CN01123456"),
    ("98201234.9", "CN98201234"),
    ("ZL201710601862.3", "CN201710601862"),
]
KR_NUMBERS = [
    ("10-2005-0078345", "KR1020050078345"),
    ("2004-0104821", "KR1020040104821"),
    ("KR 20170154142", "KR1020170154142"),
    ("KR 10-2020-0012345", "KR1020200012345"),
    ("1020190123456", "KR1020190123456"),
    ("20-2015-0001234", "KR2020150001234"),
    ("30-2018-0012345", "KR3020180012345"),
    ("40-2021-0098765", "KR4020210098765"),
    ("1998-012345", "KR1019980012345"),
    ("98-012345", "KR1019980012345"),
    ("10-1997-012345", "KR1019970012345"),
    ("10 2023 0001234", "KR1020230001234"),
]
DE_NUMBERS = [
    ("10 2007 004 488.9", "DE102007004488"),
    ("DE 201310211960", "DE102013211960"),
    ("31 30 619.5", "DE3130619"),
    ("P 31 30 619.5", "DE3130619"),
    ("DE 10 2020 012 345.7", "DE102020012345"),
    ("20 2010 012 345.3", "DE202010012345"),
    ("11 2015 000 123.9", "DE112015000123"),
    ("30 2019 123 456.1", "DE302019123456"),
    ("40 2018 000 042.2", "DE402018000042"),
    ("10 2004 000 001.8", "DE102004000001"),
    ("198 12 345.0", "DE19812345"),
    ("100 12 345.7", "DE10012345"),
    ("296 12 345.5", "DE29612345"),
    ("1020070044889", "DE102007004488"),
]
GB_NUMBERS = [
    ("1217782.0", "GB1217782"),
    ("GB 1909296.4", "GB1909296"),
    ("GB1217782", "GB1217782"),
    ("0012345.6", "GB0012345"),
    ("8912345", "GB8912345"),
    ("GB 2005678.1", "GB2005678"),
    ("2301234", "GB2301234"),
    ("1522222.3", "GB1522222"),
    ("GB 0718834.8", "GB0718834"),
    ("9901234", "GB9901234"),
    ("12177820", "GB1217782"),
]
FR_NUMBERS = [
    ("1914349", "FR1914349"),
    ("FR 1909731", "FR1909731"),
    ("FR1914349", "FR1914349"),
    ("19 14349", "FR1914349"),
    ("0012345", "FR0012345"),
    ("9612345", "FR9612345"),
    ("2208765", "FR2208765"),
    ("FR 1754321", "FR1754321"),
    ("7012345", "FR7012345"),
    ("2300001", "FR2300001"),
]
WO_NUMBERS = [
    ("PCT/EP2020/084287", "PCTEP2020084287"),
    ("PCT/US15/27322", "PCTUS2015027322"),
    ("PCT/US2015/027322", "PCTUS2015027322"),
    ("WO2013US50328", "PCTUS2013050328"),
    ("PCT/IB2015/050123", "PCTIB2015050123"),
    ("PCT/JP2019/012345", "PCTJP2019012345"),
    ("PCT/CN2021/123456", "PCTCN2021123456"),
    ("PCT/KR2018/001234", "PCTKR2018001234"),
    ("PCT/GB99/01234", "PCTGB1999001234"),
    ("pct/de2022/070001", "PCTDE2022070001"),
    ("PCTUS2015027322", "PCTUS2015027322"),
    ("US2015/027322", "PCTUS2015027322"),
]

OFFICE_TABLES = {
    "EP": (ep, EP_NUMBERS),
    "US": (us, US_NUMBERS),
    "JP": (jp, JP_NUMBERS),
    "CN": (cn, CN_NUMBERS),
    "KR": (kr, KR_NUMBERS),
    "DE": (de, DE_NUMBERS),
    "GB": (gb, GB_NUMBERS),
    "FR": (fr, FR_NUMBERS),
    "WO": (wo, WO_NUMBERS),
}
ALL_NUMBERS = [(office, given, want) for office, (_, table) in OFFICE_TABLES.items() for given, want in table]


@pytest.mark.parametrize(("office", "given", "want"), ALL_NUMBERS)
def test_real_format_number_reduces_to_its_canonical_form(office: str, given: str, want: str) -> None:
    module, _ = OFFICE_TABLES[office]
    assert module.validate(given) == want
    assert module.is_valid(given)
    assert canonical(office, given) == want


@pytest.mark.parametrize(("office", "given", "want"), ALL_NUMBERS)
def test_display_form_reads_back_to_the_same_canonical_form(office: str, given: str, want: str) -> None:
    module, _ = OFFICE_TABLES[office]
    assert module.validate(module.format(given)) == want


@pytest.mark.parametrize("office", list(OFFICE_TABLES))
def test_every_office_has_at_least_ten_real_format_numbers(office: str) -> None:
    assert len({want for _, want in OFFICE_TABLES[office][1]}) >= 8
    assert len(OFFICE_TABLES[office][1]) >= 10


# --- every variant of one number gives one canonical form ----------------------------------------

VARIANTS = {
    ("EP", "EP99403122"): [
        "EP 99 403 122.7",
        "99403122",
        "EP99403122.7",
        "EP19990403122",
        "99 403 122",
        "994031227",
        "ep 99403122.7",
        "EP 99403122 A",
        "EP-99-403-122.7",
        "ＥＰ９９４０３１２２．７",
        "  99 403 122 . 7 ",
    ],
    ("US", "US62649118"): [
        "62/649,118",
        "62649118",
        "US 201862649118 P",
        "US 62/649,118",
        "62/649118",
        "62 649 118",
        "US62649118",
        "62-649118",
        "U.S. 62/649,118",
        "us 2018 62649118 p",
    ],
    ("JP", "JP2017187096"): [
        "2017-187096",
        "特願2017-187096",
        "JP2017-187096",
        "JP 2017187096",
        "2017187096",
        "特許願第2017-187096号",
        "２０１７－１８７０９６",
        "2017/187096",
        "JP 2017-187096",
        "2017−187096",
        "2017ー187096",
    ],
    ("JP", "JP1982233998"): [
        "57-233998",
        "昭57-233998",
        "特願昭57-233998",
        "S57-233998",
        "1982-233998",
        "昭和57年特許願第233998号",
        "S57233998",
        "JP 1982233998",
    ],
    ("CN", "CN202120322383"): [
        "202120322383.X",
        "CN 202120322383.X",
        "202120322383X",
        "202120322383.x",
        "CN202120322383",
        "2021 2 0322383.X",
        "ZL 202120322383.X",
        "CN 2021 20322383 . X",
        "202120322383",
    ],
    ("CN", "CN95115608"): ["95115608.X", "95115608X", "CN 95115608.X", "95 1 15608.X", "95115608"],
    ("KR", "KR1020050078345"): [
        "10-2005-0078345",
        "1020050078345",
        "KR 10-2005-0078345",
        "KR1020050078345",
        "2005-0078345",
        "20050078345",
        "KR 20050078345",
        "10 2005 0078345",
        "2005-78345",
        "10-2005-78345",
    ],
    ("DE", "DE102013211960"): [
        "10 2013 211 960.7",
        "DE 201310211960",
        "DE201310211960",
        "102013211960",
        "DE 10 2013 211 960.7",
        "1020132119607",
        "DE102013211960",
        "2013 10 211960",
        "10-2013-211-960.7",
    ],
    ("DE", "DE3130619"): ["31 30 619.5", "P 31 30 619.5", "3130619", "31306195", "DE 31 30 619.5", "DE3130619"],
    ("GB", "GB1217782"): ["1217782.0", "GB 1217782.0", "GB1217782", "1217782", "12 17782", "12177820"],
    ("FR", "FR1914349"): ["1914349", "FR 1914349", "FR1914349", "19 14349", "19-14349", "fr 19 14 349"],
    ("WO", "PCTUS2015027322"): [
        "PCT/US2015/027322",
        "PCT/US15/27322",
        "PCTUS2015027322",
        "pct/us2015/027322",
        "PCT US 2015 027322",
        "PCT/US2015/27322",
        "PCT/US15/027322",
        "WO2015US27322",
        "WO 2015 US 027322",
        "US2015/027322",
        "PCT/US2015027322",
    ],
}
VARIANT_CASES = [(office, want, given) for (office, want), forms in VARIANTS.items() for given in forms]


@pytest.mark.parametrize(("office", "want", "given"), VARIANT_CASES)
def test_every_written_variant_of_one_number_gives_the_same_canonical_form(office: str, want: str, given: str) -> None:
    assert canonical(office, given) == want


# --- what normalize reports -----------------------------------------------------------------------


def test_normalize_reports_the_computed_check_digit_where_the_office_has_one() -> None:
    assert normalize("EP", "99403122").check_digit == "7"
    assert normalize("CN", "201710601862").check_digit == "3"
    assert normalize("DE", "DE3130619").check_digit == "5"


def test_gb_check_digit_is_kept_as_given_and_not_tested() -> None:
    assert normalize("GB", "1217782.0").check_digit == "0"
    assert normalize("GB", "1217782.7").canonical == "GB1217782"
    assert normalize("GB", "1217782").check_digit is None


def test_offices_without_check_digit_report_none() -> None:
    for office, number in [
        ("US", "16/123,456"),
        ("JP", "2017-187096"),
        ("KR", "10-2005-0078345"),
        ("FR", "1914349"),
        ("WO", "PCT/US2015/027322"),
    ]:
        assert normalize(office, number).check_digit is None


@pytest.mark.parametrize(
    ("office", "given", "display"),
    [
        ("EP", "EP99403122", "99 403 122.7"),
        ("US", "US16123456", "16/123,456"),
        ("JP", "JP2017187096", "2017-187096"),
        ("JP", "JP1982233998", "S57-233998"),
        ("JP", "JP1989000123", "H1-000123"),
        ("CN", "CN201710601862", "201710601862.3"),
        ("CN", "CN95115608", "95115608.X"),
        ("KR", "KR1020050078345", "10-2005-0078345"),
        ("DE", "DE102007004488", "10 2007 004 488.9"),
        ("DE", "DE19812345", "198 12 345.0"),
        ("GB", "GB1217782", "1217782"),
        ("FR", "FR1914349", "1914349"),
        ("WO", "PCTUS2015027322", "PCT/US2015/027322"),
    ],
)
def test_display_is_the_offices_usual_national_form(office: str, given: str, display: str) -> None:
    assert normalize(office, given).display == display


def test_jp_era_years_become_western_years() -> None:
    assert canonical("JP", "昭和64年特許願第000123号") == "JP1989000123"
    assert canonical("JP", "H1-000123") == "JP1989000123"
    assert canonical("JP", "S1-000001") == "JP1926000001"
    assert canonical("JP", "平31-012345") == "JP2019012345"
    assert canonical("JP", "R2-012345") == "JP2020012345"


def test_kr_number_without_type_is_read_as_a_patent_application() -> None:
    assert canonical("KR", "2004-0104821") == canonical("KR", "10-2004-0104821")
    assert canonical("KR", "2004-0104821") != canonical("KR", "20-2004-0104821")


def test_de_twelve_digits_read_national_first_unless_only_year_first_is_possible() -> None:
    # 202010012345 is both UM 20 2010 … and (epodoc) patent 2020 10 …: the canonical shape wins.
    assert canonical("DE", "202010012345") == "DE202010012345"
    assert canonical("DE", "DE202010012345") == "DE202010012345"
    # A year-first grouping or an impossible national reading selects epodoc.
    assert canonical("DE", "2020 10 012345") == "DE102020012345"
    assert canonical("DE", "DE 201310211960") == "DE102013211960"
