"""The one-number keys: resident ID numbers and unified social credit codes.

Scalar functions for APIs and forms, column functions for the pipeline; both give the same
answer for every input.
"""

from contracts.keys.credit_code import (
    SubjectKeyCheck,
    check_credit_code,
    check_subject_key,
    normalize_credit_code,
    organisation_code,
)
from contracts.keys.id_number import IdNumber, check_id_number, normalize_id_number
from contracts.keys.problems import KeyCheck, KeyFormatError, Problem
from contracts.keys.regions import is_known_region, region_lookup, region_name
from contracts.keys.vectorised import (
    KeyColumns,
    SubjectKeyColumns,
    check_credit_codes,
    check_id_numbers,
    check_subject_keys,
    register_key_functions,
)

__all__ = [
    "IdNumber",
    "KeyCheck",
    "KeyColumns",
    "KeyFormatError",
    "Problem",
    "SubjectKeyCheck",
    "SubjectKeyColumns",
    "check_credit_code",
    "check_credit_codes",
    "check_id_number",
    "check_id_numbers",
    "check_subject_key",
    "check_subject_keys",
    "is_known_region",
    "normalize_credit_code",
    "normalize_id_number",
    "organisation_code",
    "region_lookup",
    "region_name",
    "register_key_functions",
]
