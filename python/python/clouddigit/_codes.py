"""Codes that have no serde type in the Rust code yet, so the schema (and the generated
``types.py``, which re-exports these) cannot carry them: the evaluator's input errors
(``clouddigit_ffi::evaluate_error_details``) and the token format's
(``TokenFormatError::code``). ``tests/vectors/codes.json`` lists the latter too."""

from typing import Literal

EvaluateErrorCode = Literal["unknown_permission", "invalid_allowed_ip", "missing_action", "invalid_input"]
TokenFormatErrorCode = Literal["missing_prefix", "wrong_length", "invalid_character", "bad_checksum"]

__all__ = ["EvaluateErrorCode", "TokenFormatErrorCode"]
